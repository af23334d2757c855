// The TCP/UDP client of a flow with a `mark` (SO_MARK): Node's sockets cannot set SO_MARK, so
// such a flow runs this python3 client instead of agents.ts's CLIENT_SCRIPT. It speaks the same
// protocol (`ready`, its start time on stdin, one JSON line with verdict, detail, local,
// replyFrom, serverSaw and late) and behaves as that client: bind to the flow's source port,
// SO_MARK before connect()/sendto() (so the first packet carries the mark and the route and
// source address are chosen with it), send "ping\n", read the server's `pong peer=…`, hold, close.
export const MARK_CLIENT_SCRIPT = String.raw`
import errno, json, re, socket, sys, time
f = json.loads(sys.argv[1])
PEER = re.compile(r'pong peer=(\d+\.\d+\.\d+\.\d+):0*(\d+)')
out = {'verdict': 'timeout', 'detail': ''}
print('ready', flush=True)
f['startAt'] = float(sys.stdin.readline())
time.sleep(max(0, f['startAt'] / 1000 - time.time()))
out['late'] = round(time.time() * 1000 - f['startAt'])
def code(e):
    return errno.errorcode.get(e.errno, str(e))
if f['proto'] == 'tcp':
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, 36, f['mark'])  # SO_MARK
    s.bind(('0.0.0.0', f['sport']))
    s.settimeout(f['timeout'])
    try:
        s.connect((f['dst'], f['dport']))
        l = s.getsockname(); r = s.getpeername()
        out.update(verdict='connected', detail='connection established', local='%s:%d' % l, replyFrom='%s:%d' % r)
        s.sendall(b'ping\n')
        try:
            d = s.recv(4096)
            m = PEER.search(d.decode(errors='replace'))
            if m: out['serverSaw'] = '%s:%s' % (m.group(1), m.group(2))
        except OSError:
            pass
        time.sleep(f['hold'])
        s.close()
    except socket.timeout:
        out.update(verdict='timeout', detail='connect() timed out after %s s' % f['timeout'])
    except OSError as e:
        c = code(e)
        out.update(verdict='reset' if c in ('ECONNREFUSED', 'ECONNRESET') else 'unreachable', detail=c)
else:
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.setsockopt(socket.SOL_SOCKET, 36, f['mark'])  # SO_MARK
    u.bind(('0.0.0.0', f['sport']))
    expected = '%s:%d' % (f['dst'], f['dport'])
    try:
        if f['udpConnect']:
            u.connect((f['dst'], f['dport'])); u.send(b'ping\n')
        else:
            u.sendto(b'ping\n', (f['dst'], f['dport']))
        u.settimeout(f['timeout'])
        d, a = u.recvfrom(4096)
        frm = '%s:%d' % a
        m = PEER.search(d.decode(errors='replace'))
        if m: out['serverSaw'] = '%s:%s' % (m.group(1), m.group(2))
        out.update(verdict='reply' if frm == expected else 'reply-from-unexpected-source', detail='answer from ' + frm, replyFrom=frm)
    except socket.timeout:
        out.update(verdict='timeout', detail='no answer within %s s' % f['timeout'])
    except OSError as e:
        out.update(verdict='unreachable', detail=code(e))
print(json.dumps(out), flush=True)
`;
