import type { Api } from '../api/client';
import type { ImportKind } from '../api/types';
import { InlineError } from './InlineError';
import { useAction } from '../useAction';

/** TemplateDownload saves the CSV template of the kind, with the school's groups filled in. */
export function TemplateDownload({ api, schoolId, kind }: { api: Api; schoolId: string; kind: ImportKind }) {
  const [run, error] = useAction();
  const download = () =>
    run(async () => {
      const blob = await api.template(schoolId, kind);
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = `${kind}-template.csv`;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    });
  return (
    <p>
      <button type="button" className="secondary" onClick={download}>
        Download template
      </button>
      <InlineError message={error} />
    </p>
  );
}
