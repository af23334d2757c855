// The programs `natbox verify` runs inside the namespaces, as source text written to a temporary
// directory and started with `ip netns exec NS node FILE ARG` (servers) or `python3 FILE ARG`
// (clients: Python's socket module reaches every socket option a flow can set: IP_TTL, IP_TOS,
// TCP_MAXSEG, SO_MARK, IP_MTU_DISCOVER, bind). Each takes one JSON argument, prints JSON lines on
// standard output and exits by itself before its deadline (the caller also kills it, by PID, at a
// hard limit). They behave as natbox's sockets do (src/stack/sockets.ts): servers answer
// `pong peer=IP:PORT\n` to whatever arrives (a UDP server with reply_port from a second socket), a
// TCP client binds the flow's source address and port, connects with the flow's timeout, sends
// `ping\n`, reads the answer, holds the connection and then closes it. Clients report the verdict
// in the kernel reference's words (connected, connected-then-failed, refused, error, timeout,
// reply, reply-from-unexpected-source, icmp-error) with the errno's name.

/**
 * TCP and UDP servers on every listening port of one host. Prints `{"ready":true}` once bound.
 * `bind`: the address a server listens on (default 0.0.0.0); `replyPort` (UDP): the answer leaves
 * from a second socket bound to bind:replyPort.
 */
export const SERVER_SCRIPT = String.raw`
import net from 'node:net';
import dgram from 'node:dgram';
const spec = JSON.parse(process.argv[2]);
const say = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const ftpAt = spec.listen.find((l) => l.ftp);
let pending = spec.listen.reduce((n, l) => n + (l.replyPort ? 2 : 1), ftpAt ? 1 : 0);
const bound = () => { if (--pending === 0) say({ ready: true }); };
// FTP (natbox's stack/ftp.ts, byte for byte): passive data connections on port 50021, given to the
// next RETR; every answer FTP_THINK (100 ms) after what it answers.
const THINK = 100;
const pasv = [];
if (ftpAt)
  net.createServer({ allowHalfOpen: false }, (d) => { d.on('error', () => {}); pasv.push(d); })
    .listen({ host: ftpAt.bind || '0.0.0.0', port: 50021 }, bound);
const ftpFile = (name) => {
  const m = /^natbox-(\d+)$/.exec(name);
  const n = name === 'natbox' ? -1 : m ? Number(m[1]) : 0;
  if (n < 0) return Buffer.from('ping\n');
  if (n <= 5) return Buffer.from('ping\n').subarray(0, n);
  return Buffer.concat([Buffer.from('ping'), Buffer.alloc(n - 5, '-'), Buffer.from('\n')]);
};
const hostPort = (a, p) => a.split('.').join(',') + ',' + (p >> 8) + ',' + (p & 255);
function ftpSession(s) {
  const send = (line) => s.write(line + '\r\n');
  const later = (fn) => setTimeout(fn, THINK);
  const local = s.localAddress.replace(/^::ffff:/, '');
  let active;
  let buf = '';
  const transfer = (d, body) => {
    d.write(body);
    later(() => { d.end(); later(() => send('226 Transfer complete.')); });
  };
  const handle = (line) => {
    const sp = line.indexOf(' ');
    const verb = (sp < 0 ? line : line.slice(0, sp)).toUpperCase();
    const arg = sp < 0 ? '' : line.slice(sp + 1);
    if (verb === 'USER') send('331 Password please.');
    else if (verb === 'PASS') send('230 Logged in.');
    else if (verb === 'PASV') send('227 Entering Passive Mode (' + hostPort(local, 50021) + ').');
    else if (verb === 'PORT') {
      const n = /(\d+),(\d+),(\d+),(\d+),(\d+),(\d+)/.exec(arg);
      active = n ? { host: n.slice(1, 5).join('.'), port: Number(n[5]) * 256 + Number(n[6]) } : undefined;
      send(active ? '200 PORT command successful.' : '502 Command not implemented.');
    } else if (verb === 'RETR') {
      send('150 Opening data connection.');
      const body = ftpFile(arg);
      later(() => {
        if (active) {
          const to = active;
          active = undefined;
          const d = net.connect({ ...to, localAddress: local, localPort: s.localPort - 1, allowHalfOpen: false });
          // 425 as soon as connect() fails (natbox's stack/ftp.ts): an error before the connection
          // or the timeout, however Node reports it (d.connecting is already false for a connect()
          // refused at once, ENETUNREACH: the 425 waited for the timeout then; gen-1416-25).
          let done = false;
          const t = setTimeout(() => { done = true; d.destroy(); send('425 No data connection.'); }, 1600);
          d.on('connect', () => { done = true; clearTimeout(t); transfer(d, body); });
          d.on('error', () => { if (done) return; done = true; clearTimeout(t); send('425 No data connection.'); });
          return;
        }
        const d = pasv.shift();
        if (d) transfer(d, body);
        else send('425 No data connection.');
      });
    } else if (verb === 'QUIT') send('221 Goodbye.');
    else send('502 Command not implemented.');
  };
  send('220 natbox FTP');
  s.on('data', (b) => {
    buf += b.toString('latin1');
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i).replace(/\r$/, '');
      buf = buf.slice(i + 1);
      later(() => handle(line));
    }
  });
}
for (const l of spec.listen) {
  const host = l.bind || '0.0.0.0';
  if (l.proto === 'tcp') {
    const srv = net.createServer({ allowHalfOpen: false }, (s) => {
      const peer = s.remoteAddress.replace(/^::ffff:/, '') + ':' + s.remotePort;
      say({ event: 'accepted', proto: 'tcp', port: l.port, peer });
      if (l.ftp) { s.on('error', () => {}); return ftpSession(s); }
      // The port zero-padded to 5 digits, as the kernel reference runs' servers wrote it and natbox's do.
      const padded = s.remoteAddress.replace(/^::ffff:/, '') + ':' + String(s.remotePort).padStart(5, '0');
      // One answer per line (a long line may come in several reads).
      // close_first: the answer, then shutdown() 50 ms later (natbox's CLOSE_FIRST_DELAY): the server closes first.
      s.on('data', (d) => { for (const c of d) if (c === 10) { s.write('pong peer=' + padded + '\n'); if (l.closeFirst) setTimeout(() => s.end(), 50); } });
      s.on('error', () => {});
    });
    srv.listen({ host, port: l.port }, bound);
  } else {
    const u = dgram.createSocket('udp4');
    const r = l.replyPort ? dgram.createSocket('udp4') : u;
    u.on('message', (_m, from) => {
      const peer = from.address + ':' + from.port;
      say({ event: 'datagram', proto: 'udp', port: l.port, peer });
      r.send('pong peer=' + from.address + ':' + String(from.port).padStart(5, '0') + '\n', from.port, from.address);
    });
    u.on('error', () => {});
    u.bind(l.port, host, bound);
    if (r !== u) {
      r.on('error', () => {});
      r.on('message', () => {});
      r.bind(l.replyPort, host, bound);
    }
  }
}
if (spec.listen.length === 0) say({ ready: true });
setTimeout(() => process.exit(0), spec.lifetimeMs);
`;

/**
 * The servers of a host's listeners with `transparent` (python3: Node's sockets cannot set
 * IP_TRANSPARENT): setsockopt(SOL_IP, IP_TRANSPARENT, 1) before bind(), then as SERVER_SCRIPT's:
 * a TCP server answers `pong peer=IP:PORT\n` per line and closes when the client does; a UDP
 * server answers each datagram from its socket. Same argument and `{"ready":true}` line.
 */
export const TRANSPARENT_SERVER_SCRIPT = String.raw`
import json, socket, sys, threading, time
spec = json.loads(sys.argv[1])
SOL_IP, IP_TRANSPARENT = 0, 19
def say(o):
    sys.stdout.write(json.dumps(o) + '\n'); sys.stdout.flush()
def pong(a):
    return ('pong peer=%s:%05d\n' % a).encode()
def conn(c, a):
    buf = b''
    try:
        while True:
            d = c.recv(4096)
            if not d: break
            for b in d:
                if b == 10: c.sendall(pong(a))
    except OSError:
        pass
    c.close()
def tcp(s, l):
    while True:
        c, a = s.accept()
        say({'event': 'accepted', 'proto': 'tcp', 'port': l['port'], 'peer': '%s:%d' % a})
        threading.Thread(target=conn, args=(c, a), daemon=True).start()
def udp(s, l):
    while True:
        d, a = s.recvfrom(65535)
        say({'event': 'datagram', 'proto': 'udp', 'port': l['port'], 'peer': '%s:%d' % a})
        s.sendto(pong(a), a)
for l in spec['listen']:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM if l['proto'] == 'tcp' else socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(SOL_IP, IP_TRANSPARENT, 1)
    s.bind((l.get('bind') or '0.0.0.0', l['port']))
    if l['proto'] == 'tcp': s.listen(511)
    threading.Thread(target=tcp if l['proto'] == 'tcp' else udp, args=(s, l), daemon=True).start()
say({'ready': True})
time.sleep(spec['lifetimeMs'] / 1000)
`;

/**
 * One TCP or UDP client flow (python3). Prints `ready` once loaded, reads its start time (epoch ms)
 * from stdin, starts then, prints one `{"verdict":…}` line as soon as the outcome is known, and
 * exits when the flow is over (a TCP connection without its answer stays open until the hard
 * limit, as natbox's does).
 */
export const CLIENT_SCRIPT = String.raw`
import errno, json, re, socket, sys, time
f = json.loads(sys.argv[1])
PEER_RE = re.compile(r'pong peer=(\d+\.\d+\.\d+\.\d+):(\d+)')
out = {'verdict': 'timeout', 'detail': ''}
printed = False
def emit():
    global printed
    if not printed:
        printed = True
        print(json.dumps(out), flush=True)
def name(e):
    return errno.errorcode.get(e.errno or 0, str(e))
def saw(data):
    m = PEER_RE.search(data.decode('latin-1'))
    if m: out['serverSaw'] = '%s:%d' % (m.group(1), int(m.group(2)))
# The flow's payload: 'ping', '-' up to its size, a newline (shorter sizes cut 'ping\n').
size = f.get('size')
LINE = b'ping\n' if size is None else (b'ping\n'[:size] if size <= 5 else b'ping' + b'-' * (size - 5) + b'\n')
# tftp: a TFTP read request for 'natbox' (octet); the first answer gets ACK block 1 (natbox's sockets.ts).
if f.get('tftp'): LINE = b'\x00\x01natbox\x00octet\x00'
tftp_ack = bool(f.get('tftp'))

# ---- socket options, set before bind()/connect(): one block per flow field --------------------
def options(s, kind):
    if f.get('mark'):
        s.setsockopt(socket.SOL_SOCKET, 36, f['mark'])  # SO_MARK
    if f.get('df') is not None:
        s.setsockopt(socket.IPPROTO_IP, 10, 2 if f['df'] else 0)  # IP_MTU_DISCOVER: DO or DONT
    if f.get('ttl') is not None:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, f['ttl'])
    if f.get('tos') is not None:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, f['tos'])
    if f.get('ip_options'):
        s.setsockopt(socket.IPPROTO_IP, socket.IP_OPTIONS, bytes.fromhex(f['ip_options']))
    if kind == 'tcp' and f.get('mss') is not None:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, f['mss'])
    if kind == 'tcp' and f.get('keepalive') is not None:
        k = f['keepalive']
        s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        if k.get('idle') is not None: s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, k['idle'])
        if k.get('interval') is not None: s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, k['interval'])
        if k.get('count') is not None: s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, k['count'])
# ---- end of socket options ----------------------------------------------------------------------

# ---- ftp: natbox's stack/ftp.ts client, byte for byte; each command FTP_THINK (0.1 s) after the
# reply it follows; the data connection from or to port sport + 1 --------------------------------
THINK = 0.1
def ftp_session(s, a, p):
    buf = [b'']
    def fail(detail, e):
        out.update(verdict='connected-then-failed', detail=detail, errno=e)
        emit(); s.close(); sys.exit(0)
    def rd(want):
        until = min(deadline, time.time() + f['timeout'])  # each reply awaited timeout s at most
        try:
            while b'\n' not in buf[0]:
                s.settimeout(max(0.01, until - time.time()))
                d = s.recv(4096)
                if not d: fail('server closed the control connection', 'ECONNRESET')
                buf[0] += d
        except (TimeoutError, socket.timeout):
            fail('no reply from the server', 'ETIMEDOUT')
        except OSError as e:
            fail(name(e), name(e))
        i = buf[0].index(b'\n')
        line = buf[0][:i].decode('latin-1').rstrip('\r'); buf[0] = buf[0][i + 1:]
        if not line.startswith(want): fail('server: ' + line, 'EPROTO')
        return line
    def cmd(line):
        s.sendall((line + '\r\n').encode('latin-1'))
    size = f.get('size')
    fname = 'natbox' if size is None else 'natbox-%d' % size
    want = 5 if size is None else size
    dp = f['sport'] + 1
    rd('220'); time.sleep(THINK); cmd('USER anonymous')
    rd('331'); time.sleep(THINK); cmd('PASS natbox@')
    rd('230'); time.sleep(THINK)
    if f['ftp'] == 'passive':
        cmd('PASV')
        n = re.search(r'(\d+),(\d+),(\d+),(\d+),(\d+),(\d+)', rd('227')).groups()
        to = ('.'.join(n[:4]), int(n[4]) * 256 + int(n[5]))
        time.sleep(THINK)
        d = socket.socket(); d.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        d.bind(('0.0.0.0', dp)); d.settimeout(f['timeout'])
        try:
            d.connect(to)
        except (TimeoutError, socket.timeout):
            fail('data connection: connect() timed out after %s s' % f['timeout'], 'ETIMEDOUT')
        except OSError as e:
            fail('data connection: ' + name(e), name(e))
        cmd('RETR ' + fname)
    else:
        ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(('0.0.0.0', dp)); ls.listen(1)
        cmd('PORT %s,%d,%d' % (a[0].replace('.', ','), dp >> 8, dp & 255))
        until = time.time() + f['timeout']
        rd('200'); time.sleep(THINK); cmd('RETR ' + fname)
        ls.settimeout(max(0.01, until - time.time()))
        try:
            d, _ = ls.accept()
        except (TimeoutError, socket.timeout):
            fail('data connection: no connection to port %d within %s s' % (dp, f['timeout']), 'ETIMEDOUT')
        ls.close()
    rd('150')
    got = b''
    d.settimeout(max(0.01, deadline - time.time()))
    try:
        while True:
            x = d.recv(4096)
            if not x: break
            got += x
    except OSError:
        pass
    d.close()
    rd('226'); time.sleep(THINK); cmd('QUIT')
    rd('221')
    if len(got) == want:
        out.update(verdict='connected', detail='RETR %s: %d bytes' % (fname, len(got)), replyFrom='%s:%d' % p)
    else:
        out.update(verdict='connected-then-failed', detail='RETR %s: %d bytes of %d' % (fname, len(got), want), errno='EPROTO')
    emit()
    time.sleep(max(0, f['hold']))
    s.close()
    sys.exit(0)

print('ready', flush=True)
f['startAt'] = float(sys.stdin.readline())
deadline = (f['startAt'] - f['at'] * 1000 + f['limitMs']) / 1000
time.sleep(max(0, f['startAt'] / 1000 - time.time()))
out['late'] = round(time.time() * 1000 - f['startAt'])
dst = (f['dst'], f['dport'])
src = (f.get('src') or '0.0.0.0', f['sport'])
if f['proto'] == 'tcp':
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        options(s, 'tcp')
        s.bind(src)
        s.settimeout(f['timeout'])
        s.connect(dst)
    except (TimeoutError, socket.timeout):
        out.update(verdict='timeout', detail='connect() timed out after %s s' % f['timeout'])
        emit(); s.close(); sys.exit(0)
    except OSError as e:
        n = name(e)
        out.update(verdict='refused' if n == 'ECONNREFUSED' else 'error', detail=n, errno=n)
        emit(); s.close(); sys.exit(0)
    a = s.getsockname(); p = s.getpeername()
    out.update(verdict='connected', detail='connection established', local='%s:%d' % a)
    if f.get('ftp'): ftp_session(s, a, p)
    got = b''
    # count exchanges on the connection: line i leaves i*interval after the first, or when the
    # wait for the answer to line i-1 ended (its answer, or timeout) if later (natbox's sockets.ts
    # exchangeDone); the connection is closed hold s after the last answer.
    count = f.get('count') or 1
    first = time.time()
    closed = False
    for i in range(count):
        if closed: break
        if i: time.sleep(max(0, first + i * (f.get('interval') or 0) - time.time()))
        try:
            if LINE: s.sendall(LINE)
            end = time.time() + f['timeout']
            while got.count(b'\n') <= i and time.time() < end:
                s.settimeout(max(0.01, end - time.time()))
                d = s.recv(4096)
                if not d:
                    closed = True
                    break
                got += d
        except (TimeoutError, socket.timeout):
            pass
        except OSError as e:
            n = name(e)
            out.update(verdict='connected-then-failed', detail=n, errno=n)
            break
    saw(got)
    if got: out['replyFrom'] = '%s:%d' % p  # as natbox: the answer's source, once it came
    emit()
    if got.count(b'\n') >= count:
        time.sleep(max(0, f['hold']))
        s.close()
        sys.exit(0)
    # No answer: the connection stays open (natbox's client closes only after the answer).
    time.sleep(max(0, deadline - time.time()))
    sys.exit(0)
else:
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    expected = '%s:%d' % dst
    # count datagrams: i is sent at i*interval after the first, or when the wait for the answer
    # to i-1 ended (an answer, an error, or the timeout) if later (natbox's sim/repeat.ts). The
    # first outcome stands, except that an answer from dst:dport wins over an earlier other one.
    count = f.get('count') or 1
    first = time.time()
    settled = False
    def settle(**kw):
        global settled
        if settled and not (kw.get('verdict') == 'reply' and out['verdict'] != 'reply'):
            return
        settled = True
        out.update(**kw)
    try:
        options(u, 'udp')
        u.bind(src)
        if f['udpConnect']: u.connect(dst)
    except OSError as e:
        n = name(e)
        out.update(verdict='refused' if n == 'ECONNREFUSED' else 'error', detail=n, errno=n)
        emit(); u.close(); sys.exit(0)
    for i in range(count):
        time.sleep(max(0, first + i * (f.get('interval') or 0) - time.time()))
        try:
            if f['udpConnect']: u.send(LINE)
            else: u.sendto(LINE, dst)
        except OSError as e:
            n = name(e)
            settle(verdict='refused' if n == 'ECONNREFUSED' else 'error', detail=n, errno=n)
            continue
        end = time.time() + f['timeout']
        while time.time() < end:
            u.settimeout(max(0.01, end - time.time()))
            try:
                d, r = u.recvfrom(65535)
            except (TimeoutError, socket.timeout):
                break
            except OSError as e:
                # A connected socket reports a hard ICMP error (port unreachable: ECONNREFUSED).
                n = name(e)
                settle(verdict='refused' if n == 'ECONNREFUSED' else 'error', detail=n, errno=n)
                break
            frm = '%s:%d' % r
            if tftp_ack:
                tftp_ack = False
                u.sendto(b'\x00\x04\x00\x01', r)
            saw(d)
            out['replyFrom'] = frm
            settle(verdict='reply' if frm == expected else 'reply-from-unexpected-source', detail='answer from ' + frm)
            break
    if out['verdict'] == 'timeout': out['detail'] = 'no answer within %s s' % f['timeout']
    emit()
    time.sleep(max(0, min(f['hold'], deadline - time.time())))
    u.close()
`;

/**
 * One flow from a raw socket (python3), by the flow's `proto`:
 * - `icmp`: echo requests with the flow's id (ping(8) would choose its own id and send 56 bytes):
 *   sequence 1..count, 16 zero bytes of data (or `size`), as natbox's pingSend. Any echo reply with
 *   that id counts (as a ping socket takes it); the raw ICMP socket that sends them also listens.
 * - `sctp`, `dccp`, `esp`, `ah`: one datagram, the same bytes as natbox's wire/raw.ts rawFlowPayload
 *   (SCTP INIT with its CRC32c, DCCP Request, ESP and AH headers with the flow's SPI), from a raw
 *   socket of that protocol (the kernel writes the IP header: DF under the default
 *   IP_PMTUDISC_WANT); a second, ICMP raw socket opened first listens.
 * The listening socket hears every ICMP message reaching the host until the timeout: those other
 * than echo requests and echo replies are `received`, and with no echo reply any makes the verdict
 * `icmp-error`, else `timeout`. Bound to the flow's `src` when given; socket options as the TCP/UDP
 * client's. Like it: `ready`, then its start time (epoch ms) on stdin.
 */
export const RAW_SCRIPT = String.raw`
import errno, json, socket, struct, sys, time
f = json.loads(sys.argv[1])
ICMP = f['proto'] == 'icmp'
def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff
def crc32c(data):
    crc = 0xffffffff
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xffffffff
def datagram(i):
    if ICMP:
        data = bytes(f.get('size', 16))
        hdr = struct.pack('!BBHHH', 8, 0, 0, f['icmpId'], i + 1)
        return struct.pack('!BBHHH', 8, 0, csum(hdr + data), f['icmpId'], i + 1) + data
    if f['proto'] == 'sctp':
        body = struct.pack('!HHII', f['sport'], f['dport'], 0, 0) + bytes([1, 0, 0, 20]) + struct.pack('!IIHHI', 0x1111, 65535, 10, 10, 0x2222)
        return body[:8] + struct.pack('<I', crc32c(body)) + body[12:]
    if f['proto'] == 'dccp':
        return struct.pack('!HHBBHBBBB', f['sport'], f['dport'], 5, 0, 0, 0, 0, 0, 0) + bytes(8)
    if f['proto'] == 'esp':
        return struct.pack('!II', f.get('spi', 0), 1) + bytes(8)
    return bytes([59, 4, 0, 0]) + struct.pack('!II', f.get('spi', 0), 1) + bytes(12)
out = {'verdict': 'timeout', 'detail': 'no answer within %s s' % f['timeout']}
received = []
print('ready', flush=True)
f['startAt'] = float(sys.stdin.readline())
time.sleep(max(0, f['startAt'] / 1000 - time.time()))
late = round(time.time() * 1000 - f['startAt'])
def fail(e):
    n = errno.errorcode.get(e.errno or 0, str(e))
    print(json.dumps({'verdict': 'error', 'detail': n, 'errno': n, 'late': late}), flush=True)
    sys.exit(0)
listen = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s = listen if ICMP else socket.socket(socket.AF_INET, socket.SOCK_RAW, {'sctp': 132, 'dccp': 33, 'esp': 50, 'ah': 51}[f['proto']])

# ---- socket options, set before bind()/sendto(): one block per flow field ---------------------
try:
    if f.get('mark'): s.setsockopt(socket.SOL_SOCKET, 36, f['mark'])  # SO_MARK
    if f.get('df') is not None:
        s.setsockopt(socket.IPPROTO_IP, 10, 2 if f['df'] else 0)  # IP_MTU_DISCOVER: DO or DONT
    if f.get('ttl') is not None: s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, f['ttl'])
    if f.get('tos') is not None: s.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, f['tos'])
    if f.get('src'):
        s.bind((f['src'], 0))
        if s is not listen: listen.bind((f['src'], 0))
except OSError as e:
    fail(e)
# ---- end of socket options ----------------------------------------------------------------------

first = time.time()
count = (f.get('count') or 1) if ICMP else 1
got = None
# count datagrams (echoes: sequence 1..count): i leaves i*interval after the first, or when the
# wait for the answer to i-1 ended (an echo reply, or the timeout) if later (sim/repeat.ts).
for i in range(count):
    time.sleep(max(0, first + i * (f.get('interval') or 0) - time.time()))
    try:
        s.sendto(datagram(i), (f['dst'], 0))
    except OSError as e:
        fail(e)
    end = time.time() + f['timeout']
    while time.time() < end:
        listen.settimeout(max(0.01, end - time.time()))
        try:
            b, a = listen.recvfrom(65535)
        except socket.timeout:
            break
        ihl = (b[0] & 15) * 4
        t, c, _, ident, q = struct.unpack('!BBHHH', b[ihl:ihl + 8])
        if ICMP and t == 0 and ident == f['icmpId']:
            o = {'verdict': 'reply' if a[0] == f['dst'] else 'reply-from-unexpected-source', 'detail': 'answer from ' + a[0], 'replyFrom': a[0]}
            if got is None or (o['verdict'] == 'reply' and got['verdict'] != 'reply'):
                got = o
            break
        if t == 8 or t == 0:
            continue
        received.append({'from': a[0], 'type': t, 'code': c})
    if count == 1 and got is not None:
        break
if got is not None:
    out = got
elif received:
    out = {'verdict': 'icmp-error', 'replyFrom': received[0]['from'], 'detail': 'no %s within %s s; received %s' % ('echo reply' if ICMP else 'answer', f['timeout'], ', '.join('ICMP type %d code %d from %s' % (m['type'], m['code'], m['from']) for m in received))}
out['received'] = received
out['late'] = late
print(json.dumps(out), flush=True)
`;
