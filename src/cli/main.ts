/** The `microrecon` command line: parses arguments, calls the public API only, prints results. */
import { Command, CommanderError } from 'commander';
import { MicroreconError } from '../core/errors.js';
import { backendsCommand } from './backends.js';
import { infoCommand } from './info.js';
import { evaluateCommand, type EvaluateCommandOptions } from './evaluate.js';

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

  program
    .command('evaluate')
    .description('microstructure statistics and transport of each phase (JSON report, HTML report, summary table)')
    .argument('<volume>', 'segmented volume or 2D image (TIFF, PNG, NPY, MetaImage)')
    .option('--reference <volume>', 'compare with this volume (same shape): S2 RMSE, relative errors, SSIM, PSNR')
    .option('--phase <L...>', 'phase indices to evaluate (default: all present)')
    .option('--metrics <a,b>', 'metrics to compute, comma-separated (default: all but permeability; also "default", "all")')
    .option('--spacing <s>', 'voxel size in metres (or with a unit: 5.345um) for physical units')
    .option('--json <out.json>', 'write the JSON report ("-": to stdout, instead of the table)')
    .option('--html <report.html>', 'write a self-contained HTML report')
    .action(async (file: string, o: EvaluateCommandOptions) => evaluateCommand(file, o));

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
