// Form pieces that show the API's validation errors at the field they belong to
// (form-errors.ts maps them).
import type { ComponentChildren } from 'preact';
import type { FormErrors } from './form-errors';

export { errorsOf, lines, NO_ERRORS, type FormErrors } from './form-errors';

/** A labelled control; `group` for several controls (checkboxes), which one label cannot hold. */
export function Field(props: { name: string; label: string; errors: FormErrors; hint?: string; group?: boolean; children: ComponentChildren }) {
  const messages = props.errors.fields[props.name];
  const Tag = props.group ? 'fieldset' : 'label';
  return (
    <Tag class={`field${messages ? ' invalid' : ''}`} data-field={props.name}>
      {props.group ? <legend class="label">{props.label}</legend> : <span class="label">{props.label}</span>}
      {props.children}
      {props.hint && <span class="hint">{props.hint}</span>}
      {messages && (
        <span class="field-error" role="alert">
          {messages.join('; ')}
        </span>
      )}
    </Tag>
  );
}

export function GeneralError(props: { errors: FormErrors }) {
  return props.errors.general ? (
    <p class="form-error" role="alert">
      {props.errors.general}
    </p>
  ) : null;
}
