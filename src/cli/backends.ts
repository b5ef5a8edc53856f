import { backends } from '../backends/index.js';

export async function backendsCommand(o: { json?: boolean }): Promise<void> {
  const list = await backends();
  if (o.json) {
    console.log(JSON.stringify(list, null, 2));
    return;
  }
  for (const b of list) {
    const extra = b.available ? (b.details ? ` (${Object.entries(b.details).map(([k, v]) => `${k} ${v}`).join(', ')})` : '') : ` — ${b.reason}`;
    console.log(`${b.available ? '✓' : '✗'} ${b.name.padEnd(7)}${extra}`);
  }
}
