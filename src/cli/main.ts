/** The `microrecon` command line: parses arguments, calls the public API only, prints results. */
import { Command, CommanderError } from 'commander';
import { MicroreconError } from '../core/errors.js';
import { backendsCommand } from './backends.js';
import { infoCommand } from './info.js';
import { evaluateCommand, type EvaluateCommandOptions } from './evaluate.js';
import { trainCommand, type TrainCommandOptions } from './train.js';
import { generateCommand, type GenerateCommandOptions } from './generate.js';

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

  program
    .command('train')
    .description('train a reconstruction model (checkpoints, held-out validation, --resume continues exactly)')
    .requiredOption('--data <path>', 'paired: a segmented 3D volume; 2d: one image per plane (a,b,c or a directory; planes by XY/XZ/YZ in the names, else in order xy,xz,yz) or one image for all three')
    .requiredOption('--mode <mode>', 'paired (3D critic on volume crops) or 2d (2D slice critics per axis)')
    .option('--size <n>', 'crop / model size (default 64)')
    .option('--iterations <n>', 'train up to this many iterations in total (default 1000)')
    .option('--out <dir>', 'output directory (checkpoint/, best/, metrics.jsonl, previews/)', 'microrecon-training')
    .option('--resume', 'continue the checkpoint in --out exactly')
    .option('--sections <k>', 'paired: 1 (single slice -> volume, default) or k = 3, 5, 7, 9 serial sections')
    .option('--config <file.json>', 'JSON {config: model config overrides, trainer: trainer settings}')
    .option('--seed <n>', 'seed of weights and data order (default 0)')
    .option('--backend <name>', "compute backend ('auto', 'cpu', 'wasm', 'webgpu')")
    .option('--quiet', 'no progress bar')
    .action(async (o: TrainCommandOptions) => trainCommand(o));

  program
    .command('generate')
    .description('reconstruct a 3D volume from a slice (single mode) or k serial sections (a k-page TIFF)')
    .requiredOption('--model <model>', "'builtin:<name>' or a model directory")
    .requiredOption('--input <file>', 'a 2D slice (PNG/TIFF) or a k-page TIFF of sections')
    .option('--size <n>', 'output edge length (default: the model size)')
    .option('--seed <n>', 'noise seed (same seed -> identical output)', '0')
    .requiredOption('--out <file>', 'output volume (.tif streams slice by slice; also .npy, .mhd)')
    .option('--backend <name>', "compute backend ('auto', 'cpu', 'wasm', 'webgpu')", 'auto')
    .option('--quiet', 'no progress bar')
    .action(async (o: GenerateCommandOptions) => generateCommand(o));

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
