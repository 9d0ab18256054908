/**
 * Network namespaces for captures that nothing else on the machine can leak into: `ip netns add`, loopback up,
 * optionally a veth pair between two namespaces (a "real link": MTU 1500, its own addresses). Needs root and iproute2.
 */
import { spawn, spawnSync, SpawnOptions, ChildProcess } from 'child_process';

/** Why namespaces cannot be used here (undefined: they can). */
export function netnsUnavailable(): string | undefined {
  if (process.getuid && process.getuid() !== 0) return 'network namespaces need root';
  if (spawnSync('ip', ['-V']).status !== 0) return 'iproute2 (ip) is not installed';
  const probe = `wn-probe-${process.pid}`;
  const r = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (r.status !== 0) return `ip netns add failed: ${r.stderr.trim()}`;
  spawnSync('ip', ['netns', 'del', probe]);
  return undefined;
}

/** Run a command to completion; throw with its stderr when it fails. */
export function sh(cmd: string, args: string[], input?: string): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${(r.stderr || '').trim()}`);
  return r.stdout;
}

export class Netns {
  private constructor(readonly name: string) {}

  /** Create the namespace (a stale one of the same name is removed first) with `lo` up. */
  static create(name: string): Netns {
    if (name.length > 40) throw new Error(`namespace name too long: ${name}`);
    spawnSync('ip', ['netns', 'del', name]);
    sh('ip', ['netns', 'add', name]);
    const ns = new Netns(name);
    ns.run('ip', ['link', 'set', 'lo', 'up']);
    return ns;
  }

  /** argv that runs `cmd args` inside this namespace */
  argv(cmd: string, args: string[]): [string, string[]] {
    return ['ip', ['netns', 'exec', this.name, cmd, ...args]];
  }

  run(cmd: string, args: string[], input?: string): string {
    const [c, a] = this.argv(cmd, args);
    return sh(c, a, input);
  }

  spawn(cmd: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
    const [c, a] = this.argv(cmd, args);
    return spawn(c, a, opts);
  }

  delete(): void {
    spawnSync('ip', ['netns', 'del', this.name]);
  }
}

export interface VethLink {
  clientIf: string;
  serverIf: string;
  clientAddress: string;
  serverAddress: string;
  mtu: number;
  offloads: string;
}

/**
 * Join two namespaces with a veth pair (created directly inside them, so no name can clash with the host's),
 * IPv4 /24 addresses, the given MTU, and TSO/GSO/GRO off on both ends so the capture shows the segments a real NIC
 * would put on the wire (MSS-sized), not 64 KB offload super-packets.
 */
export function vethBetween(client: Netns, server: Netns, opts: { mtu?: number; clientAddress?: string; serverAddress?: string } = {}): VethLink {
  const mtu = opts.mtu ?? 1500;
  const clientAddress = opts.clientAddress ?? '10.77.0.1';
  const serverAddress = opts.serverAddress ?? '10.77.0.2';
  const clientIf = 'veth-c';
  const serverIf = 'veth-s';
  sh('ip', ['link', 'add', clientIf, 'netns', client.name, 'type', 'veth', 'peer', 'name', serverIf, 'netns', server.name]);
  const offloads = 'tso off gso off gro off';
  for (const [ns, ifname, addr] of [
    [client, clientIf, clientAddress],
    [server, serverIf, serverAddress],
  ] as const) {
    ns.run('ip', ['link', 'set', ifname, 'mtu', String(mtu)]);
    ns.run('ip', ['addr', 'add', `${addr}/24`, 'dev', ifname]);
    ns.run('ethtool', ['-K', ifname, ...offloads.split(' ')]);
    // Linux TCP builds GSO super-packets even with gso off (software GSO); one segment per skb makes netfilter
    // (the loss rules) see each wire segment on its own.
    ns.run('ip', ['link', 'set', ifname, 'gso_max_segs', '1', 'gso_max_size', String(mtu)]);
    ns.run('ip', ['link', 'set', ifname, 'up']);
  }
  return { clientIf, serverIf, clientAddress, serverAddress, mtu, offloads: `ethtool -K <both ends> ${offloads}; ip link set <both ends> gso_max_segs 1 gso_max_size ${mtu}` };
}

export interface RoutedLink {
  clientIf: string;
  serverIf: string;
  clientAddress: string;
  serverAddress: string;
  routerAddresses: [string, string];
  mtu: number;
  offloads: string;
}

/**
 * client ⇄ router ⇄ server over two veth pairs, IPv4 forwarding in the router. A packet the router's netfilter
 * drops (forward hook) was really sent by the server's TCP, so the capture on the client side shows a real loss
 * (a gap, then the retransmission) — unlike a drop in the sender's own output hook, which TCP sees as a local
 * error and simply sends again.
 */
export function routedBetween(client: Netns, router: Netns, server: Netns, mtu = 1500): RoutedLink {
  const offloads = 'tso off gso off gro off';
  const pairs = [
    { a: client, aIf: 'veth-c', aAddr: '10.77.1.1', b: router, bIf: 'veth-rc', bAddr: '10.77.1.254' },
    { a: server, aIf: 'veth-s', aAddr: '10.77.2.1', b: router, bIf: 'veth-rs', bAddr: '10.77.2.254' },
  ];
  for (const p of pairs) {
    sh('ip', ['link', 'add', p.aIf, 'netns', p.a.name, 'type', 'veth', 'peer', 'name', p.bIf, 'netns', p.b.name]);
    for (const [ns, ifname, addr] of [
      [p.a, p.aIf, p.aAddr],
      [p.b, p.bIf, p.bAddr],
    ] as const) {
      ns.run('ip', ['link', 'set', ifname, 'mtu', String(mtu)]);
      ns.run('ip', ['addr', 'add', `${addr}/24`, 'dev', ifname]);
      ns.run('ethtool', ['-K', ifname, ...offloads.split(' ')]);
      ns.run('ip', ['link', 'set', ifname, 'gso_max_segs', '1', 'gso_max_size', String(mtu)]);
      ns.run('ip', ['link', 'set', ifname, 'up']);
    }
    p.a.run('ip', ['route', 'add', 'default', 'via', p.bAddr]);
  }
  router.run('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
  return {
    clientIf: 'veth-c', serverIf: 'veth-s', clientAddress: '10.77.1.1', serverAddress: '10.77.2.1', routerAddresses: ['10.77.1.254', '10.77.2.254'], mtu,
    offloads: `ethtool -K <every veth end> ${offloads}; ip link set <every veth end> gso_max_segs 1 gso_max_size ${mtu}`,
  };
}
