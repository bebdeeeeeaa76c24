import type { Api } from '../api/client';
import { InlineError } from './InlineError';
import { useAction } from '../useAction';

type File = 'uploaded' | 'errors' | 'results';

/** FileLink downloads one of an import's files through a short-lived link. */
export function FileLink({ api, schoolId, importId, file, children }: { api: Api; schoolId: string; importId: string; file: File; children: string }) {
  const [run, error] = useAction();
  const download = () =>
    run(async () => {
      const { url } = await api.fileLink(schoolId, importId, file);
      window.location.assign(url); // the file is sent as an attachment: the page stays
    });
  return (
    <>
      <button type="button" className="link" onClick={download}>
        {children}
      </button>
      <InlineError message={error} />
    </>
  );
}
