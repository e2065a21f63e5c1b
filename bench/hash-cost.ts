/*
 * The CPU chalkfs's block hash (SHA-256, chalkfs/meta/format.ts) costs per MB on this
 * machine, measured in the run: blocks are named by it (docs/FORMAT.md), every block
 * chalkfs writes is hashed once and every block it reads from the store is verified once
 * (cache/block-cache.ts), so no chalkfs moves a MB for less. The best of a few rounds, so
 * that the CPU bound it feeds (target-checks.ts) errs high, never low.
 */
import { randomBytes } from 'node:crypto';
import { blockHash } from '../chalkfs/meta/format.js';

export interface HashCost {
  /** CPU per MB (10^6 bytes) of hashing 1 MiB blocks, best round. */
  msPerMB: number;
  blockBytes: number;
  blocksPerRound: number;
  rounds: number;
}

export function measureHashCost(blockBytes = 1 << 20, blocksPerRound = 64, rounds = 5): HashCost {
  const blocks = Array.from({ length: 8 }, () => randomBytes(blockBytes));
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const start = process.cpuUsage();
    for (let i = 0; i < blocksPerRound; i++) blockHash(blocks[i % blocks.length]!);
    const used = process.cpuUsage(start);
    best = Math.min(best, (used.user + used.system) / 1000 / ((blocksPerRound * blockBytes) / 1e6));
  }
  return { msPerMB: best, blockBytes, blocksPerRound, rounds };
}
