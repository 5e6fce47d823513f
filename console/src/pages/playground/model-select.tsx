import type { Model } from '../../api-types.ts';

export function ModelSelect({
  models,
  value,
  onChange,
}: {
  models: Model[];
  value: string;
  onChange: (id: string) => void;
}) {
  return (
    <label className="field">
      <span>Model</span>
      <select value={value} onChange={(event) => onChange(event.target.value)}>
        {models.map((model) => (
          <option key={model.id} value={model.id}>
            {model.model_spec.name.includes(model.id)
              ? model.model_spec.name
              : `${model.model_spec.name} · ${model.id}`}
          </option>
        ))}
      </select>
    </label>
  );
}
