import { useState } from 'react';

/** Copies `text`; says so for two seconds. Falls back to selecting a hidden field where the Clipboard API is missing. */
export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [copied, setCopied] = useState(false);
  const copy = async (): Promise<void> => {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      const field = document.createElement('textarea');
      field.value = text;
      document.body.append(field);
      field.select();
      document.execCommand('copy');
      field.remove();
    }
    setCopied(true);
    setTimeout(() => setCopied(false), 2000);
  };
  return (
    <button type="button" className="button" onClick={() => void copy()} aria-live="polite">
      {copied ? 'Copied ✓' : label}
    </button>
  );
}
