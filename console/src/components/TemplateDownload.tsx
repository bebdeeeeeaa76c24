import type { Api } from '../api/client';
import type { ImportKind } from '../api/types';
import { InlineError } from './InlineError';
import { useAction } from '../useAction';

/** TemplateDownload saves the template of the kind (CSV or Excel), with the school's groups filled in. */
export function TemplateDownload({ api, schoolId, kind }: { api: Api; schoolId: string; kind: ImportKind }) {
  const [run, error] = useAction();
  const download = (format: 'csv' | 'xlsx') =>
    run(async () => {
      const blob = await api.template(schoolId, kind, format);
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = `${kind}-template.${format}`;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    });
  return (
    <p>
      <button type="button" className="secondary" onClick={() => download('csv')}>
        Download template
      </button>{' '}
      <button type="button" className="secondary" onClick={() => download('xlsx')}>
        Excel template (.xlsx)
      </button>
      <InlineError message={error} />
    </p>
  );
}
