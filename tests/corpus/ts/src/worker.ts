import { createHash } from 'node:crypto';
import { execSync, execFileSync } from 'node:child_process';
import * as https from 'node:https';
import { config } from './config';

interface Job {
  id: string;
  dir: string;
  owner: string;
}

export const agent: https.Agent = new https.Agent({ rejectUnauthorized: false });
export const okAgent: https.Agent = new https.Agent({ ca: config.caBundle });

export function diskUsage(job: Job): string {
  const unsafe = execSync(`du -sh ${job.dir}`).toString();
  const safe = execFileSync('du', ['-sh', job.dir]).toString();
  return unsafe + safe;
}

export async function jobsFor(pool: Pool, owner: string): Promise<Job[]> {
  const good = await pool.query<Job>('SELECT * FROM jobs WHERE owner = $1', [owner]);
  const bad = await pool.query<Job>(`SELECT * FROM jobs WHERE owner = '${owner}'`);
  const worse = pool.query<Job>('select * from jobs where id = ' + owner);
  return [...good.rows, ...bad.rows, ...(await worse).rows];
}

export function tokenHash(token: string): string {
  const weak = createHash('md5').update(token).digest('hex');
  return createHash('sha256').update(weak + token).digest('hex');
}

export function compile(expr: string): (x: number) => number {
  const f = new Function('x', `return ${expr}`) as (x: number) => number;
  const v: unknown = eval(expr);
  return typeof v === 'number' ? (x) => x * v : f;
}

export function retries(): number {
  const limit = Number(process.env['RETRY_LIMIT'] ?? 3);
  try {
    return limit > 0 ? limit : config.retries;
  } catch (e: unknown) {}
  return config.retries;
}

export const { HOSTNAME } = process.env;
process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
