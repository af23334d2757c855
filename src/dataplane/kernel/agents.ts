// The programs `natbox verify` runs inside the namespaces, as source text written to a temporary
// directory and started with `ip netns exec NS node FILE ARG` (ICMP: `python3`, for a raw socket).
// Each takes one JSON argument, prints JSON lines on standard output and exits by itself before its
// deadline (the caller also kills it, by PID, at a hard limit). They behave as natbox's sockets do
// (src/stack/sockets.ts): servers answer `pong peer=IP:PORT\n` to whatever arrives, a TCP client
// binds the flow's source port, connects with the flow's timeout, sends `ping\n`, reads the answer,
// holds the connection and then closes it.

/** TCP and UDP servers on every listening port of one host. Prints `{"ready":true}` once bound. */
export const SERVER_SCRIPT = String.raw`
import net from 'node:net';
import dgram from 'node:dgram';
const spec = JSON.parse(process.argv[2]);
const say = (o) => process.stdout.write(JSON.stringify(o) + '\n');
let pending = spec.listen.length;
const bound = () => { if (--pending === 0) say({ ready: true }); };
for (const l of spec.listen) {
  if (l.proto === 'tcp') {
    const srv = net.createServer({ allowHalfOpen: false }, (s) => {
      const peer = s.remoteAddress.replace(/^::ffff:/, '') + ':' + s.remotePort;
      say({ event: 'accepted', proto: 'tcp', port: l.port, peer });
      // The port zero-padded to 5 digits, as the kernel reference runs' servers wrote it and natbox's do.
      const padded = s.remoteAddress.replace(/^::ffff:/, '') + ':' + String(s.remotePort).padStart(5, '0');
      // One answer per line (a long line may come in several reads).
      s.on('data', (d) => { for (const c of d) if (c === 10) s.write('pong peer=' + padded + '\n'); });
      s.on('error', () => {});
    });
    srv.listen({ host: '0.0.0.0', port: l.port }, bound);
  } else {
    const u = dgram.createSocket('udp4');
    u.on('message', (_m, r) => {
      const peer = r.address + ':' + r.port;
      say({ event: 'datagram', proto: 'udp', port: l.port, peer });
      u.send('pong peer=' + r.address + ':' + String(r.port).padStart(5, '0') + '\n', r.port, r.address);
    });
    u.on('error', () => {});
    u.bind(l.port, '0.0.0.0', bound);
  }
}
if (spec.listen.length === 0) say({ ready: true });
setTimeout(() => process.exit(0), spec.lifetimeMs);
`;

/**
 * One TCP or UDP client flow. Prints `ready` once loaded, reads its start time (epoch ms) from
 * stdin, starts then, prints one `{"verdict":…}` line and exits.
 */
export const CLIENT_SCRIPT = String.raw`
import net from 'node:net';
import dgram from 'node:dgram';
const f = JSON.parse(process.argv[2]);
const PEER_RE = /pong peer=(\d+\.\d+\.\d+\.\d+:\d+)/;
// The flow's payload: 'ping', '-' up to its size, a newline (shorter sizes cut 'ping\n').
const LINE = f.size === undefined ? 'ping\n' : f.size <= 5 ? 'ping\n'.slice(0, f.size) : 'ping' + '-'.repeat(f.size - 5) + '\n';
let done = false;
const out = { verdict: 'timeout', detail: '' };
const finish = (code = 0) => {
  if (done) return;
  done = true;
  process.stdout.write(JSON.stringify(out) + '\n', () => process.exit(code));
};
const settle = (verdict, detail) => {
  if (out.settled) return;
  out.settled = true;
  out.verdict = verdict;
  out.detail = detail;
};
const start = () => {
  out.late = Date.now() - f.startAt; // ms after its time: a loaded machine starts clients late
  if (f.proto === 'tcp') {
    const s = net.connect({ host: f.dst, port: f.dport, localPort: f.sport, allowHalfOpen: false });
    const timer = setTimeout(() => {
      if (s.connecting) {
        settle('timeout', 'connect() timed out after ' + f.timeout + ' s');
        s.destroy();
        setTimeout(finish, 50);
      }
    }, f.timeout * 1000);
    let holding = false;
    s.on('connect', () => {
      clearTimeout(timer);
      out.local = s.localAddress + ':' + s.localPort;
      out.replyFrom = s.remoteAddress + ':' + s.remotePort;
      settle('connected', 'connection established');
      if (LINE.length > 0) s.write(LINE);
    });
    s.on('data', (d) => {
      const m = PEER_RE.exec(d.toString());
      if (m) out.serverSaw = m[1].replace(/:0*(\d)/, ':$1'); // the servers zero-pad the port
      if (!holding) {
        holding = true;
        const due = Date.now() + f.hold * 1000;
        setTimeout(() => { out.late = Math.max(out.late, Date.now() - due); s.end(); }, f.hold * 1000);
      }
    });
    s.on('error', (e) => {
      if (e.code === 'ECONNREFUSED' || e.code === 'ECONNRESET') settle('reset', 'connection reset (' + e.code + ')');
      else settle('unreachable', e.code || String(e));
    });
    s.on('close', () => { clearTimeout(timer); setTimeout(finish, 50); });
  } else {
    const u = dgram.createSocket('udp4');
    const expected = f.dst + ':' + f.dport;
    // count datagrams: i is sent at i*interval after the first, or when the wait for the answer
    // to i-1 ended (an answer, an error, or the timeout) if later (natbox's sim/repeat.ts).
    const count = f.count || 1;
    const first = Date.now();
    let i = 0;
    let waiting = false;
    let gotExpected = false;
    let closed = false;
    const close = () => { if (closed) return; closed = true; try { u.close(); } catch {} finish(); };
    const sendOne = () => {
      const mine = i;
      waiting = true;
      const cb = (e) => { if (e) { settle('unreachable', e.code || String(e)); close(); } };
      if (f.udpConnect) u.send(LINE, cb);
      else u.send(LINE, f.dport, f.dst, cb);
      setTimeout(() => { if (waiting && i === mine) endWait(); }, f.timeout * 1000);
    };
    const endWait = () => {
      waiting = false;
      i++;
      if (i >= count) { settle('timeout', 'no answer within ' + f.timeout + ' s'); close(); return; }
      setTimeout(sendOne, Math.max(0, first + i * (f.interval || 0) * 1000 - Date.now()));
    };
    u.on('message', (m, r) => {
      const from = r.address + ':' + r.port;
      const p = PEER_RE.exec(m.toString());
      if (p) out.serverSaw = p[1].replace(/:0*(\d)/, ':$1');
      out.replyFrom = from;
      if (from === expected && !gotExpected) { gotExpected = true; out.settled = false; }
      settle(from === expected ? 'reply' : 'reply-from-unexpected-source', 'answer from ' + from);
      if (count === 1) { close(); return; }
      if (waiting) endWait();
    });
    u.on('error', (e) => {
      settle(e.code === 'ECONNREFUSED' ? 'unreachable' : 'unreachable', e.code || String(e));
      if (count === 1) { close(); return; }
      if (waiting) endWait();
    });
    u.bind(f.sport, () => {
      // connect() fails at once without a route (ENETUNREACH): the callback gets the error.
      if (f.udpConnect) u.connect(f.dport, f.dst, (e) => { if (e) { settle('unreachable', e.code || String(e)); close(); } else sendOne(); });
      else sendOne();
    });
  }
};
// The run's time 0 comes once every client is loaded (a loaded machine starts them slowly).
let input = '';
process.stdin.setEncoding('utf8').on('data', (d) => {
  input += d;
  if (f.startAt !== undefined || !input.includes('\n')) return;
  f.startAt = Number(input.slice(0, input.indexOf('\n')));
  process.stdin.destroy();
  const t0 = f.startAt - f.at * 1000;
  setTimeout(() => { settle('timeout', 'hard limit'); finish(); }, Math.max(0, t0 + f.limitMs - Date.now()));
  setTimeout(start, Math.max(0, f.startAt - Date.now()));
});
process.stdout.write('ready\n');
`;

/**
 * One ICMP echo flow with a raw socket, so the echo id is the flow's (ping(8) would choose its own
 * id and send 56 bytes): one echo request, id = the flow's, sequence 1, 16 zero bytes of data, as
 * natbox's pingSend. Any echo reply with that id counts (as a ping socket takes it). Like the
 * TCP/UDP client: `ready`, then its start time (epoch ms) on stdin.
 */
export const PING_SCRIPT = String.raw`
import json, socket, struct, sys, time
f = json.loads(sys.argv[1])
def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff
out = {'verdict': 'timeout', 'detail': 'no answer within %s s' % f['timeout']}
print('ready', flush=True)
f['startAt'] = float(sys.stdin.readline())
time.sleep(max(0, f['startAt'] / 1000 - time.time()))
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
if f.get('mark'): s.setsockopt(socket.SOL_SOCKET, 36, f['mark'])  # SO_MARK
if f.get('df') is not None:
    s.setsockopt(socket.IPPROTO_IP, 10, 2 if f['df'] else 0)  # IP_MTU_DISCOVER: DO or DONT
data = bytes(f.get('size', 16))
late = round(time.time() * 1000 - f['startAt'])
first = time.time()
count = f.get('count') or 1
# count echoes, sequence 1..count: echo i leaves i*interval after the first, or when the wait for
# the answer to i-1 ended (an answer, an ICMP error, or the timeout) if later (sim/repeat.ts).
got = None
for i in range(count):
    time.sleep(max(0, first + i * (f.get('interval') or 0) - time.time()))
    hdr = struct.pack('!BBHHH', 8, 0, 0, f['icmpId'], i + 1)
    pkt = struct.pack('!BBHHH', 8, 0, csum(hdr + data), f['icmpId'], i + 1) + data
    try:
        s.sendto(pkt, (f['dst'], 0))
    except OSError as e:
        print(json.dumps({'verdict': 'unreachable', 'detail': 'sendto(): ' + (e.strerror or str(e)) + ' (' + __import__('errno').errorcode.get(e.errno, '') + ')', 'late': late}), flush=True)
        sys.exit(0)
    end = time.time() + f['timeout']
    while time.time() < end:
        s.settimeout(max(0.01, end - time.time()))
        try:
            b, a = s.recvfrom(2048)
        except socket.timeout:
            break
        ihl = (b[0] & 15) * 4
        t, c, _, ident, q = struct.unpack('!BBHHH', b[ihl:ihl + 8])
        if t == 0 and ident == f['icmpId']:
            o = {'verdict': 'reply' if a[0] == f['dst'] else 'reply-from-unexpected-source', 'detail': 'answer from ' + a[0], 'replyFrom': a[0]}
            if got is None or (o['verdict'] == 'reply' and got['verdict'] != 'reply'):
                got = o
            break
        if t in (3, 11):
            if got is None:
                got = {'verdict': 'unreachable', 'detail': 'ICMP type %d code %d from %s' % (t, c, a[0])}
            break
    if count == 1 and got is not None:
        break
if got is not None:
    out = got
out['late'] = late
print(json.dumps(out), flush=True)
`;

/**
 * A UDP flow whose socket sets IP_MTU_DISCOVER (`df`), which node:dgram cannot: the same as the
 * UDP side of CLIENT_SCRIPT in Python (bind the source port, connect or not, send the flow's line,
 * wait for one answer). An error on send or receive (EMSGSIZE after fragmentation needed,
 * ECONNREFUSED) ends it as `unreachable` with the errno.
 */
export const UDP_SCRIPT = String.raw`
import errno, json, re, socket, sys, time
f = json.loads(sys.argv[1])
size = f.get('size')
line = b'ping\n' if size is None else (b'ping\n'[:size] if size <= 5 else b'ping' + b'-' * (size - 5) + b'\n')
out = {'verdict': 'timeout', 'detail': 'no answer within %s s' % f['timeout']}
print('ready', flush=True)
f['startAt'] = float(sys.stdin.readline())
time.sleep(max(0, f['startAt'] / 1000 - time.time()))
late = round(time.time() * 1000 - f['startAt'])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, 10, 2 if f['df'] else 0)  # IP_MTU_DISCOVER: DO or DONT
s.bind(('0.0.0.0', f['sport']))
def err(e):
    return {'verdict': 'unreachable', 'detail': (e.strerror or str(e)) + ' (' + errno.errorcode.get(e.errno, '') + ')'}
try:
    if f['udpConnect']:
        s.connect((f['dst'], f['dport']))
        s.send(line)
    else:
        s.sendto(line, (f['dst'], f['dport']))
    end = time.time() + f['timeout']
    while time.time() < end:
        s.settimeout(max(0.01, end - time.time()))
        try:
            b, a = s.recvfrom(65535)
        except socket.timeout:
            break
        frm = '%s:%d' % a
        m = re.search(rb'pong peer=(\d+\.\d+\.\d+\.\d+:\d+)', b)
        out = {'verdict': 'reply' if frm == '%s:%d' % (f['dst'], f['dport']) else 'reply-from-unexpected-source', 'detail': 'answer from ' + frm, 'replyFrom': frm}
        if m:
            out['serverSaw'] = re.sub(r':0*(\d)', r':\1', m.group(1).decode())
        break
except OSError as e:
    out = err(e)
out['late'] = late
print(json.dumps(out), flush=True)
`;
