// The one schedule form: a job's backups, a repository's prune and S3 sync. Cron lines and
// intervals to set, pause and resume with a note, trigger now, remove; the API's errors at
// the field they name (schedule-input.ts). The caller says how each action reaches the API.
import { useState } from 'preact/hooks';
import type { Schemas } from './api';
import { errorsOf, Field, GeneralError, NO_ERRORS, type FormErrors } from './forms';
import { ProblemError } from './problem';
import { formatIntervals, parseIntervals, scheduleBody, scheduleErrors } from './schedule-input';

export interface ScheduleActions {
  set(body: Schemas['ScheduleSet']): Promise<unknown>;
  pause(note: string | undefined): Promise<unknown>;
  resume(note: string | undefined): Promise<unknown>;
  trigger(): Promise<Schemas['ScheduleAccepted']>;
  remove(): Promise<unknown>;
}

const errorsOfSchedule = (e: unknown): FormErrors => (e instanceof ProblemError ? scheduleErrors(e.problem) : errorsOf(e));

export function ScheduleForm(props: { title: string; formName: string; schedule: Schemas['Schedule'] | null; none: string; hint?: string; actions: ScheduleActions; onChange: () => void }) {
  const { schedule, actions } = props;
  const [cron, setCron] = useState(schedule?.cron.join('\n') ?? '');
  const [intervals, setIntervals] = useState(schedule ? formatIntervals(schedule.intervals) : '');
  const [note, setNote] = useState('');
  const [errors, setErrors] = useState(NO_ERRORS);
  const [notice, setNotice] = useState<string | null>(null);
  const run = async (what: () => Promise<unknown>, done?: string) => {
    setErrors(NO_ERRORS);
    setNotice(null);
    try {
      await what();
      if (done) setNotice(done);
      props.onChange();
    } catch (err) {
      setErrors(errorsOfSchedule(err));
    }
  };
  const submit = (e: Event) => {
    e.preventDefault();
    const parsed = parseIntervals(intervals);
    if ('error' in parsed) return setErrors({ fields: { intervals: [parsed.error] }, general: null });
    void run(() => actions.set(scheduleBody(schedule, cron, parsed.value)), 'schedule saved');
  };
  const trigger = async () => {
    const accepted = await actions.trigger();
    setNotice(`started now: ${accepted.workflowIdPrefix}-…`);
  };
  const noteOrNothing = note.trim() || undefined;
  return (
    <form class="card" data-form={props.formName} onSubmit={submit}>
      <h2>{props.title}</h2>
      {schedule ? (
        <p data-schedule={schedule.paused ? 'paused' : 'active'}>
          {schedule.paused ? 'Paused' : 'Active'}
          {schedule.note && <span data-note> ({schedule.note})</span>}; next: {schedule.nextRuns.slice(0, 3).map((t) => new Date(t).toLocaleString()).join(', ') || '—'}
          {schedule.timezone !== 'UTC' && `; ${schedule.timezone}`}
        </p>
      ) : (
        <p class="muted" data-schedule="none">
          {props.none}
        </p>
      )}
      {props.hint && <p class="hint">{props.hint}</p>}
      <Field name="cron" label="Cron (one a line, e.g. 0 3 * * *)" errors={errors}>
        <textarea name="cron" rows={2} value={cron} onInput={(e) => setCron(e.currentTarget.value)} />
      </Field>
      <Field name="intervals" label="Every (e.g. 6h, 30m, 1d+3h for 03:00)" errors={errors}>
        <input name="intervals" value={intervals} onInput={(e) => setIntervals(e.currentTarget.value)} />
      </Field>
      {schedule && (
        <Field name="note" label="Note (why it is paused or resumed)" errors={errors}>
          <input name="note" value={note} onInput={(e) => setNote(e.currentTarget.value)} />
        </Field>
      )}
      <GeneralError errors={errors} />
      {notice && <p class="notice">{notice}</p>}
      <button type="submit">Save schedule</button>{' '}
      {schedule && (
        <>
          <button type="button" onClick={() => void run(() => (schedule.paused ? actions.resume(noteOrNothing) : actions.pause(noteOrNothing)).then(() => setNote('')))}>
            {schedule.paused ? 'Resume' : 'Pause'}
          </button>{' '}
          <button type="button" onClick={() => void run(trigger)}>
            Trigger now
          </button>{' '}
          <button type="button" class="danger" onClick={() => void run(actions.remove)}>
            Remove schedule
          </button>
        </>
      )}
    </form>
  );
}
