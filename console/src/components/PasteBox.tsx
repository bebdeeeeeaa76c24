import { useId, useState } from 'react';

/** PasteBox takes CSV text pasted from a spreadsheet. */
export function PasteBox({ onSubmit, disabled }: { onSubmit: (text: string) => void; disabled: boolean }) {
  const id = useId();
  const [text, setText] = useState('');
  return (
    <form
      className="paste"
      onSubmit={(e) => {
        e.preventDefault();
        if (text.trim()) onSubmit(text);
      }}
    >
      <label htmlFor={id}>Or paste CSV text</label>
      <textarea id={id} rows={6} value={text} onChange={(e) => setText(e.target.value)} disabled={disabled} spellCheck={false} />
      <button type="submit" className="secondary" disabled={disabled || !text.trim()}>
        Check pasted text
      </button>
    </form>
  );
}
