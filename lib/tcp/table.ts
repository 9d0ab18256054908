/**
 * The lookup from a packet's addresses and ports to its TCP conversation (Wireshark's
 * conversation table), as a chained hash table.
 */
import type { TcpConversation } from './analysis';

/**
 * Conversations by the hash of their addresses and ports: a power-of-two array of chains, newest
 * first. (A Map of arrays cost a hash lookup and an array per connection on every packet.)
 */
export class ConversationTable {
  private slots: Array<TcpConversation | undefined> = new Array(1024).fill(undefined);
  private count = 0;

  get size(): number {
    return this.count;
  }

  find(hash: number, src: string, sport: number, dst: string, dport: number): TcpConversation | undefined {
    for (let c = this.slots[hash & (this.slots.length - 1)]; c !== undefined; c = c.nextInTable) {
      if (c.hash !== hash) continue;
      const a = c.flow1;
      const b = c.flow2;
      if ((a.port === sport && b.port === dport && a.addr === src && b.addr === dst) || (a.port === dport && b.port === sport && a.addr === dst && b.addr === src)) return c;
    }
    return undefined;
  }

  add(c: TcpConversation): void {
    const i = c.hash & (this.slots.length - 1);
    c.nextInTable = this.slots[i];
    this.slots[i] = c;
    if (++this.count > this.slots.length) this.resize(this.slots.length * 2);
  }

  /** Unlink `c` (nothing happens when it is no longer in the table). */
  remove(c: TcpConversation): void {
    const i = c.hash & (this.slots.length - 1);
    let prev: TcpConversation | undefined;
    let x = this.slots[i];
    while (x !== undefined && x !== c) {
      prev = x;
      x = x.nextInTable;
    }
    if (x === undefined) return;
    if (prev) prev.nextInTable = c.nextInTable;
    else this.slots[i] = c.nextInTable;
    c.nextInTable = undefined;
    this.count--;
    if (this.slots.length > 1024 && this.count * 8 < this.slots.length) this.resize(this.slots.length / 2);
  }

  /** Rehash into `size` slots, keeping each chain's newest-first order. */
  private resize(size: number): void {
    const old = this.slots;
    this.slots = new Array(size).fill(undefined);
    for (let i = old.length - 1; i >= 0; i--) {
      const chain: TcpConversation[] = [];
      for (let c = old[i]; c !== undefined; c = c.nextInTable) chain.push(c);
      for (let k = chain.length - 1; k >= 0; k--) {
        const c = chain[k];
        const j = c.hash & (size - 1);
        c.nextInTable = this.slots[j];
        this.slots[j] = c;
      }
    }
  }
}
