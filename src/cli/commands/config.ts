import type { Command } from 'commander';
import { stringify } from 'yaml';
import { defaultConfig, loadConfigFile } from '../../config';

export function registerConfigCommand(program: Command): void {
  const config = program.command('config').description('check or print configuration files');
  config
    .command('check')
    .description('validate YAML config / ROS parameter files; exits 1 naming every bad key')
    .argument('<files...>', 'YAML files')
    .action((files: string[]) => {
      for (const file of files) {
        loadConfigFile(file);
        console.log(`${file}: ok`);
      }
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
