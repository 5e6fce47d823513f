import { useState, type FormEvent } from 'react';
import type { ApiKey, LimitPeriod } from '../api-types.ts';
import { InlineError } from '../components/states.tsx';

export interface KeyFormValues {
  description: string;
  apiKeyType: 'ADMIN' | 'INFERENCE';
  usdLimit: string;
  diemLimit: string;
  limitPeriod: LimitPeriod;
  /** YYYY-MM-DD, or '' for no expiry. */
  expiresAt: string;
}

export function initialValues(key?: ApiKey): KeyFormValues {
  const limit = (value: number | null | undefined): string =>
    value === null || value === undefined ? '' : String(value);
  return {
    description: key?.description ?? '',
    apiKeyType: key?.apiKeyType ?? 'INFERENCE',
    usdLimit: limit(key?.consumptionLimits.usd),
    diemLimit: limit(key?.consumptionLimits.diem),
    limitPeriod: key?.limitPeriod ?? 'EPOCH',
    expiresAt: key?.expiresAt?.slice(0, 10) ?? '',
  };
}

/** A limit field: blank is no limit. */
export function limitOf(text: string): number | null {
  return text.trim() === '' ? null : Number(text);
}

const PERIODS: { value: LimitPeriod; label: string }[] = [
  { value: 'EPOCH', label: 'Per day (UTC epoch)' },
  { value: 'MONTH', label: 'Per calendar month' },
  { value: 'LIFETIME', label: 'Lifetime of the key' },
];

/** The fields of a key, for creating one (type too) or editing one; `onSubmit` rejects with the server's message. */
export function KeyForm({
  initial,
  creating,
  onSubmit,
  onCancel,
}: {
  initial: KeyFormValues;
  creating: boolean;
  onSubmit: (values: KeyFormValues) => Promise<void>;
  onCancel: () => void;
}) {
  const [values, setValues] = useState(initial);
  const [error, setError] = useState<Error>();
  const [busy, setBusy] = useState(false);
  const set = <Field extends keyof KeyFormValues>(
    field: Field,
    value: KeyFormValues[Field],
  ): void => setValues((previous) => ({ ...previous, [field]: value }));
  const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await onSubmit(values);
    } catch (failure) {
      setError(failure instanceof Error ? failure : new Error(String(failure)));
      setBusy(false);
    }
  };

  return (
    <form className="form" onSubmit={(event) => void submit(event)}>
      <label className="field">
        <span>Description</span>
        <input
          required
          maxLength={64}
          value={values.description}
          onChange={(event) => set('description', event.target.value)}
          placeholder="e.g. Mobile app, production"
          autoFocus
        />
      </label>
      {creating ? (
        <fieldset className="field segmented">
          <legend>Type</legend>
          {(['INFERENCE', 'ADMIN'] as const).map((type) => (
            <label key={type} className="segment">
              <input
                type="radio"
                name="apiKeyType"
                value={type}
                checked={values.apiKeyType === type}
                onChange={() => set('apiKeyType', type)}
              />
              <span>{type === 'INFERENCE' ? 'Inference' : 'Admin'}</span>
            </label>
          ))}
          <small className="hint">
            {values.apiKeyType === 'ADMIN'
              ? 'Can manage keys, billing and this console, and run inference.'
              : 'Can run inference only.'}
          </small>
        </fieldset>
      ) : null}
      <div className="field-row">
        <label className="field">
          <span>USD spend limit</span>
          <input
            type="number"
            min="0"
            step="any"
            inputMode="decimal"
            placeholder="No limit"
            value={values.usdLimit}
            onChange={(event) => set('usdLimit', event.target.value)}
          />
        </label>
        <label className="field">
          <span>DIEM spend limit</span>
          <input
            type="number"
            min="0"
            step="any"
            inputMode="decimal"
            placeholder="No limit"
            value={values.diemLimit}
            onChange={(event) => set('diemLimit', event.target.value)}
          />
        </label>
      </div>
      <div className="field-row">
        <label className="field">
          <span>Limit period</span>
          <select
            value={values.limitPeriod}
            onChange={(event) =>
              set(
                'limitPeriod',
                PERIODS.find((period) => period.value === event.target.value)?.value ?? 'EPOCH',
              )
            }
          >
            {PERIODS.map((period) => (
              <option key={period.value} value={period.value}>
                {period.label}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Expires on</span>
          <input
            type="date"
            min={tomorrow}
            value={values.expiresAt}
            onChange={(event) => set('expiresAt', event.target.value)}
          />
          <small className="hint">Leave empty for a key that never expires.</small>
        </label>
      </div>
      <InlineError error={error} />
      <div className="form-actions">
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? 'Saving…' : creating ? 'Create key' : 'Save changes'}
        </button>
      </div>
    </form>
  );
}
