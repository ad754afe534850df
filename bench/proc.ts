/** CPU accounting of the benchmarks from /proc (Linux): per process, and for the whole machine. */
import { execSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { round } from './common';

export const CLOCK_TICKS_PER_S = (() => {
  try {
    return Number(execSync('getconf CLK_TCK', { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

interface ProcStat {
  pid: number;
  comm: string;
  ppid: number;
  /** utime (user: the program) and stime (system: the kernel on its behalf), in clock ticks. */
  user: number;
  system: number;
  /** utime + stime, in clock ticks. */
  ticks: number;
}

/** /proc/<pid>/stat, or null when the process is gone. */
export function procStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // comm is in parentheses and may itself contain spaces or parentheses: split after the last ')'.
  const close = text.lastIndexOf(')');
  const comm = text.slice(text.indexOf('(') + 1, close);
  const fields = text.slice(close + 2).split(' '); // fields[0] is field 3 (state)
  const user = Number(fields[11]);
  const system = Number(fields[12]);
  return { pid, comm, ppid: Number(fields[1]), user, system, ticks: user + system };
}

export function allProcesses(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = procStat(Number(name));
    if (s) out.push(s);
  }
  return out;
}

/** Sum of utime + stime of these processes (those that are gone count 0), in clock ticks. */
export function ticksOf(pids: readonly number[]): number {
  return pids.reduce((sum, pid) => sum + (procStat(pid)?.ticks ?? 0), 0);
}

/** Busy, stolen (by the hypervisor) and total ticks of all CPUs of the machine (/proc/stat). */
export function machineTicks(): { busy: number; steal: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already in user)
  const [user, nice, system, idle, iowait, irq, softirq, steal] = v;
  const busy = user + nice + system + irq + softirq + (steal ?? 0);
  return { busy, steal: steal ?? 0, total: busy + idle + iowait };
}

// ---------------------------------------------------------------------------------------------------
// CPU over a measured window: utime + stime deltas per process between two snapshots

export interface CpuSnapshot {
  atMs: number;
  machine: { busy: number; steal: number; total: number };
  perPid: Map<number, { comm: string; ticks: number }>;
}

/** The CPU ticks of every process and of the machine, now. */
export function cpuSnapshot(): CpuSnapshot {
  const perPid = new Map<number, { comm: string; ticks: number }>();
  for (const p of allProcesses()) perPid.set(p.pid, { comm: p.comm, ticks: p.ticks });
  return { atMs: performance.timeOrigin + performance.now(), machine: machineTicks(), perPid };
}

/** CPU over a window in % of one core (100 = one core fully busy), except where it says % of all cores. */
export type CpuReport<Group extends string> = {
  /**
   * Busy time of the machine that no process alive at the window's end accounts for, % of one core:
   * the kernel's own work (loopback networking) plus processes that came and went (someone else's
   * build or tests: then the figures are suspect).
   */
  unaccounted: number;
} & Record<Group | 'postgresAll' | 'otherProcesses', number> & {
    /** The busiest processes outside the groups (someone else's work makes the figures suspect). */
    topOtherProcesses?: { pid: number; comm: string; pct: number }[];
    machineBusyPctOfAllCores: number;
    /** Time the hypervisor gave to others while we wanted the CPU, % of all cores (a noisy neighbour). */
    machineStealPctOfAllCores: number;
    cores: number;
  };

/**
 * CPU of each group of processes between snapshots `a` and `b`, of all PostgreSQL processes, and of
 * every other process. A group of PostgreSQL backends (comm `postgres`) is a part of `postgresAll`.
 * `topOthers`: also list that many of the busiest other processes.
 */
export function cpuReport<Group extends string>(
  a: CpuSnapshot,
  b: CpuSnapshot,
  groups: Record<Group, readonly number[]>,
  { topOthers = 0 } = {},
): CpuReport<Group> {
  const seconds = (b.atMs - a.atMs) / 1000;
  const pct = (ticks: number) => round((ticks / CLOCK_TICKS_PER_S / seconds) * 100, 1);
  const delta = (pid: number) => {
    const end = b.perPid.get(pid);
    return end ? end.ticks - (a.perPid.get(pid)?.ticks ?? 0) : 0;
  };
  const sum = (pids: readonly number[]) => [...new Set(pids)].reduce((s, pid) => s + delta(pid), 0);
  const byGroup = Object.entries<readonly number[]>(groups);
  const grouped = new Set(byGroup.flatMap(([, pids]) => pids));
  let all = 0;
  let postgresAll = 0;
  let others = 0;
  const otherList: { pid: number; comm: string; pct: number }[] = [];
  for (const [pid, p] of b.perPid) {
    all += delta(pid);
    if (p.comm === 'postgres') postgresAll += delta(pid);
    else if (!grouped.has(pid)) {
      others += delta(pid);
      if (delta(pid) > 0) otherList.push({ pid, comm: p.comm, pct: pct(delta(pid)) });
    }
  }
  const cores = os.cpus().length;
  const busyShare = (b.machine.busy - a.machine.busy) / (b.machine.total - a.machine.total);
  return {
    unaccounted: round(busyShare * 100 * cores - pct(all), 1),
    ...(Object.fromEntries(byGroup.map(([name, pids]) => [name, pct(sum(pids))])) as Record<Group, number>),
    postgresAll: pct(postgresAll),
    otherProcesses: pct(others),
    ...(topOthers > 0
      ? { topOtherProcesses: otherList.sort((x, y) => y.pct - x.pct).slice(0, topOthers) }
      : {}),
    machineBusyPctOfAllCores: round(busyShare * 100, 1),
    machineStealPctOfAllCores: round(
      ((b.machine.steal - a.machine.steal) / (b.machine.total - a.machine.total)) * 100,
      1,
    ),
    cores,
  };
}
