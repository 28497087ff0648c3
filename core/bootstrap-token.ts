// Whether a bootstrap token may enroll an agent, and under which name. Pure: the catalog
// reads the row and counts the use in the same transaction; this decides.
import { ConflictError, InputError, UnauthorizedError } from '../contract/errors';
import { isAgentName } from './certificates';

export interface BootstrapTokenRow {
  id: number;
  /** Only this name may enroll with the token; null: the agent chooses. */
  agentName: string | null;
  maxUses: number;
  uses: number;
  expiresAt: Date;
  revokedAt: Date | null;
}

export interface EnrollmentRequest {
  /** The name the agent asks for; defaults to the token's fixed name. */
  name: string | undefined;
  /** Re-enrolling under a name that already has a live certificate needs this. */
  replace: boolean;
}

/**
 * The agent name a token may enroll, or a refusal. Every refusal of the token itself says
 * the same thing to the caller ("refused") with the reason, so an attacker learns nothing
 * a legitimate operator would not need to fix the token.
 */
/** What the catalog knows of the name already: live credentials, or a revocation. */
export interface ExistingAgent {
  hasLiveCertificate: boolean;
  /** An agent API token (embedded-style agents) that is not revoked. */
  hasLiveToken?: boolean;
  revoked: boolean;
}

export function decideEnrollment(token: BootstrapTokenRow | null, req: EnrollmentRequest, existing: ExistingAgent | null, now: Date): string {
  if (!token) throw new UnauthorizedError('bootstrap token refused: unknown token');
  if (token.revokedAt) throw new UnauthorizedError('bootstrap token refused: revoked');
  if (token.expiresAt.getTime() <= now.getTime()) throw new UnauthorizedError('bootstrap token refused: expired');
  if (token.uses >= token.maxUses) throw new UnauthorizedError('bootstrap token refused: all its uses are spent');
  const name = req.name ?? token.agentName;
  if (!name) throw new InputError('an agent name is required (--name), the token does not fix one');
  if (!isAgentName(name)) throw new InputError(`invalid agent name ${JSON.stringify(name)}: lowercase letters, digits, ".", "_" and "-", at most 63`);
  if (token.agentName && token.agentName !== name) throw new UnauthorizedError(`bootstrap token refused: it is for agent ${JSON.stringify(token.agentName)} only`);
  if (existing && (existing.hasLiveCertificate || existing.hasLiveToken || existing.revoked) && !req.replace) {
    throw new ConflictError(`agent ${JSON.stringify(name)} is already enrolled; enroll with replace to revoke its certificate and take its place`);
  }
  return name;
}

/** `30m`, `24h`, `7d` → milliseconds. */
export function parseDuration(text: string): number {
  const m = /^([1-9]\d*)(s|m|h|d)$/.exec(text.trim());
  if (!m) throw new InputError(`duration must look like 30m, 24h or 7d, got ${JSON.stringify(text)}`);
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}
