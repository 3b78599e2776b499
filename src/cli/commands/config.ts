import type { Command } from 'commander';
import { stringify } from 'yaml';
import { ConfigError, defaultConfig, loadConfigFile } from '../../config';
import { EXIT } from '../exit';

export function registerConfigCommand(program: Command): void {
  const config = program.command('config').description('check or print configuration files');
  config
    .command('check')
    .description(
      'validate YAML config / ROS parameter files; checks every file, exits 2 naming every bad key',
    )
    .argument('<files...>', 'YAML files')
    .action((files: string[]) => {
      process.exitCode = checkConfigFiles(files);
    });
  config
    .command('print')
    .description('print the effective configuration (defaults merged with FILE) as a ROS parameter file')
    .argument('[file]', 'YAML file')
    .action((file?: string) => {
      const cfg = file ? loadConfigFile(file) : defaultConfig();
      process.stdout.write(stringify({ '/**': { ros__parameters: cfg } }));
    });
}

/** Checks every file (not only up to the first bad one); prints each verdict; returns the exit status. */
export function checkConfigFiles(files: readonly string[]): number {
  let bad = 0;
  for (const file of files) {
    try {
      loadConfigFile(file);
      console.log(`${file}: ok`);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      console.error(err.message);
      bad++;
    }
  }
  if (bad > 0 && files.length > 1) console.error(`${bad} of ${files.length} files are invalid`);
  return bad > 0 ? EXIT.refused : EXIT.ok;
}
