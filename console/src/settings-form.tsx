// The form shared by notification channels and plugin configurations: a name, a kind, and the
// kind's settings and secrets as JSON objects (the API checks them per kind and answers with
// errors at `body/settings/…`, shown at the settings field). To create one, or to edit one:
// then the kind is fixed, the settings start as stored, and the secrets are never shown (the
// API returns only their names): each is listed as set and unchanged, and the secrets field
// holds only what the operator changes.
import { useState } from 'preact/hooks';
import { Field, GeneralError, NO_ERRORS, type FormErrors } from './forms';
import { parseJsonObject } from './json-field';

/**
 * What the generated types make of a free-form `type: object` (openapi-typescript renders it
 * as a record of `never`, which only `{}` satisfies; the spec means any JSON object, as
 * api/context.ts's FreeForm says for the server side).
 */
export type FreeFormSettings = Record<string, never>;

export interface SettingsWrite {
  name: string;
  kind: string;
  settings: Record<string, unknown>;
  /** Absent when the field is blank (on an edit: the sealed secrets stay as they are). */
  secrets?: Record<string, string | null>;
}

/** What an edit starts from: the stored configuration, its secrets only by name. */
export interface SettingsStored {
  name: string;
  kind: string;
  settings: Record<string, unknown>;
  secretFields: string[];
}

export function SettingsForm(props: {
  title: string;
  kindLabel: string;
  kinds?: readonly string[];
  formName: string;
  submitLabel: string;
  /** Editing this one (else creating). */
  stored?: SettingsStored;
  /** On an edit: what a JSON object in the secrets field does to the sealed ones. */
  secretsHint?: string;
  onCancel?: () => void;
  onSubmit: (w: SettingsWrite) => Promise<FormErrors | null>;
}) {
  const stored = props.stored;
  const blank = { name: '', kind: props.kinds?.[0] ?? '', settings: '{}', secrets: '' };
  const [form, setForm] = useState(stored ? { name: stored.name, kind: stored.kind, settings: JSON.stringify(stored.settings, null, 2), secrets: '' } : blank);
  const [errors, setErrors] = useState(NO_ERRORS);
  const set = (k: keyof typeof form) => (e: { currentTarget: { value: string } }) => setForm({ ...form, [k]: e.currentTarget.value });
  const submit = async (e: Event) => {
    e.preventDefault();
    const settings = parseJsonObject(form.settings);
    const secrets = parseJsonObject(form.secrets);
    const local: FormErrors = { fields: {}, general: null };
    if ('error' in settings) local.fields.settings = [settings.error];
    if ('error' in secrets) local.fields.secrets = [secrets.error];
    if ('error' in settings || 'error' in secrets) return setErrors(local);
    const result = await props.onSubmit({ name: form.name, kind: form.kind, settings: settings.value, ...(form.secrets.trim() ? { secrets: secrets.value as Record<string, string | null> } : {}) });
    setErrors(result ?? NO_ERRORS);
    if (!result && !stored) setForm({ ...blank, kind: form.kind });
  };
  return (
    <form class="card" onSubmit={submit} data-form={props.formName}>
      <h2>{props.title}</h2>
      <Field name="name" label="Name" errors={errors}>
        <input name="name" value={form.name} onInput={set('name')} />
      </Field>
      <Field name={props.kindLabel.toLowerCase()} label={props.kindLabel} errors={errors} hint={stored ? 'fixed once created' : undefined}>
        {props.kinds ? (
          <select name="kind" value={form.kind} onChange={set('kind')} disabled={!!stored}>
            {props.kinds.map((k) => (
              <option key={k}>{k}</option>
            ))}
          </select>
        ) : (
          <input name="kind" value={form.kind} onInput={set('kind')} placeholder="pg_dump" disabled={!!stored} />
        )}
      </Field>
      <Field name="settings" label="Settings (JSON)" errors={errors}>
        <textarea name="settings" rows={4} value={form.settings} onInput={set('settings')} />
      </Field>
      {stored && (
        <ul class="secret-fields" data-secret-fields={stored.secretFields.join(',')}>
          {stored.secretFields.length === 0 ? (
            <li class="muted">No secret set.</li>
          ) : (
            stored.secretFields.map((f) => (
              <li key={f} data-secret={f}>
                <code>{f}</code>: set, unchanged
              </li>
            ))
          )}
        </ul>
      )}
      <Field
        name="secrets"
        label={stored ? 'Secrets to change (JSON; blank keeps them)' : 'Secrets (JSON, never shown again)'}
        errors={errors}
        hint={stored ? props.secretsHint : undefined}
      >
        <textarea name="secrets" rows={2} value={form.secrets} onInput={set('secrets')} autoComplete="off" />
      </Field>
      <GeneralError errors={errors} />
      <button type="submit">{props.submitLabel}</button>
      {props.onCancel && (
        <>
          {' '}
          <button type="button" class="secondary" onClick={props.onCancel}>
            Cancel
          </button>
        </>
      )}
    </form>
  );
}
