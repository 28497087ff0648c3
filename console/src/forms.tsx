// Form pieces that show the API's validation errors at the field they belong to
// (form-errors.ts maps them).
import type { ComponentChildren } from 'preact';
import type { FormErrors } from './form-errors';

export { errorsOf, lines, NO_ERRORS, type FormErrors } from './form-errors';

export function Field(props: { name: string; label: string; errors: FormErrors; hint?: string; children: ComponentChildren }) {
  const messages = props.errors.fields[props.name];
  return (
    <label class={`field${messages ? ' invalid' : ''}`} data-field={props.name}>
      <span class="label">{props.label}</span>
      {props.children}
      {props.hint && <span class="hint">{props.hint}</span>}
      {messages && (
        <span class="field-error" role="alert">
          {messages.join('; ')}
        </span>
      )}
    </label>
  );
}

export function GeneralError(props: { errors: FormErrors }) {
  return props.errors.general ? (
    <p class="form-error" role="alert">
      {props.errors.general}
    </p>
  ) : null;
}
