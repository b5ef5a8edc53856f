/** The `microrecon` command line: parses arguments, calls the public API only, prints results. */
import { Command, CommanderError } from 'commander';
import { MicroreconError } from '../core/errors.js';
import { backendsCommand } from './backends.js';
import { infoCommand } from './info.js';

export async function main(argv: string[]): Promise<number> {
  const program = new Command()
    .name('microrecon')
    .description('3D microstructure reconstruction from 2D slices, and performance evaluation')
    .version(VERSION)
    .exitOverride()
    .showHelpAfterError();

  program
    .command('backends')
    .description('list the compute backends and whether they can run here')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => backendsCommand(o));

  program
    .command('info')
    .description('shape, data type, labels and phase fractions of a volume or image file')
    .argument('<file>', 'TIFF (multi-page), PNG, JPEG, NPY or MetaImage (.mhd)')
    .option('--json', 'print JSON')
    .action(async (file: string, o: { json?: boolean }) => infoCommand(file, o));

  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof MicroreconError) {
      console.error(`microrecon: ${err.message} [${err.code}]`);
      return 1;
    }
    console.error('microrecon: unexpected error (please report it):', err);
    return 2;
  }
}

declare const __VERSION__: string | undefined;
const VERSION = typeof __VERSION__ === 'string' ? __VERSION__ : '0.1.0';
