import type { Command } from 'commander';
import { BagError } from '../../bag/errors';
import { ConfigError, defaultConfig, loadConfigFile, type SvnavConfig } from '../../config';
import { formatReport, formatRunsSummary } from '../../eval/format';
import { summarizeRuns, type EvalReport } from '../../eval/report';
import { evaluateBag } from '../../replay/evaluate';
import { writeJsonReport } from '../../replay/report';
import { checkOutput, OutputError } from '../../io/output';
import { EXIT } from '../exit';

export interface EvalCommandOptions {
  config?: string;
  report?: string;
  rows?: boolean;
  force?: boolean;
}

export function registerEvalCommand(program: Command): void {
  program
    .command('eval')
    .description(
      'evaluate runs from bags (replay outputs or robot recordings): ADE/FDE, latency, jerk, stops',
    )
    .argument('<bags...>', '.mcap files with plans, Twists and odometry (nav_msgs/Odometry or /tf)')
    .option('--config <file>', 'parameter file naming the topics (default topics otherwise)')
    .option('--report <file>', 'write JSON: one report, or {runs, summary} for several bags')
    .option('--rows', 'print every plan and stop, not only the summary')
    .option('--force', 'replace an existing --report that svnav wrote (never anything else)')
    .action(async (bags: string[], options: EvalCommandOptions) => {
      process.exitCode = await evalCommand(bags, options);
    });
}

/** Evaluates each bag; one bag prints its report, several print a table per run and the pooled summary. */
export async function evalCommand(bags: readonly string[], options: EvalCommandOptions): Promise<number> {
  let config: SvnavConfig;
  try {
    config = options.config ? loadConfigFile(options.config) : defaultConfig();
    if (options.report !== undefined) {
      const inputs = [...bags, ...(options.config ? [options.config] : [])];
      checkOutput(options.report, 'json-report', {
        force: options.force === true,
        inputs,
        option: '--report',
      });
    }
  } catch (err) {
    if (!(err instanceof ConfigError || err instanceof OutputError)) throw err;
    console.error(`svnav eval: ${err.message}`);
    return EXIT.refused;
  }
  const reports: EvalReport[] = [];
  let status = 0;
  for (const bag of bags) {
    try {
      const { report, damage } = await evaluateBag(bag, config, {
        onWarning: (w) => console.error(`svnav eval: warning: ${w.message}`),
      });
      if (damage) {
        console.error(`svnav eval: ${damage.message} (evaluated up to there)`);
        status = 1;
      }
      reports.push(report);
    } catch (err) {
      if (!(err instanceof BagError)) throw err;
      console.error(`svnav eval: ${err.message}`);
      status = 1;
    }
  }
  // Nothing could be evaluated: nothing was written either.
  if (reports.length === 0) return EXIT.refused;
  const replace = { replace: options.force === true };
  if (reports.length === 1) {
    process.stdout.write(`${formatReport(reports[0]!, { rows: options.rows === true })}\n`);
    if (options.report) await writeJsonReport(options.report, reports[0], replace);
  } else {
    const summary = summarizeRuns(reports);
    if (options.rows) for (const r of reports) process.stdout.write(`${formatReport(r, { rows: true })}\n\n`);
    process.stdout.write(`${formatRunsSummary(summary)}\n`);
    if (options.report) await writeJsonReport(options.report, { runs: reports, summary }, replace);
  }
  return status;
}
