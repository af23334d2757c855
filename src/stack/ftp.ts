// FTP on the simulated sockets: a client (a scenario flow's `ftp: passive | active`) and a server
// (a TCP listener with `ftp: true`) exchanging exactly the bytes the kernel verify agents
// (dataplane/kernel/agents.ts) exchange: greeting, USER/PASS, PASV (227 with the server's address
// and passive port) or PORT (the client's address and its data port), RETR of a file of the
// flow's size, 226, QUIT, 221. Each side answers FTP_THINK seconds after what it answers arrived,
// so every segment is acknowledged on its own as Linux does outside its delayed-ACK ("pingpong")
// mode (tcp_event_data_sent enters it for data sent within the ACK timeout, 40 ms, of the last
// data received), and the order of packets on every wire is the same on natbox and the kernel.

/** Seconds each side waits before it answers (and between a 150 and the data, the data and its FIN). */
export const FTP_THINK = 0.1;
/** The port an FTP server listens on for passive data connections (bound where the server is). */
export const FTP_PASV_PORT = 50021;
/** The file the client retrieves. */
export const FTP_FILE = 'natbox';
/**
 * How long an FTP session lasts beyond the flow's timeout at most (its steps of FTP_THINK: the
 * replies, the data and its close): the run lasts that much longer.
 */
export const FTP_SESSION = 16 * FTP_THINK;

/** One established TCP connection as an application uses it (Sockets.tcpConnect/listen with an app). */
export interface TcpConn {
  readonly laddr: number;
  readonly lport: number;
  readonly raddr: number;
  readonly rport: number;
  /** send(): the bytes go out now (one segment: applications here write less than an MSS). */
  write(b: Uint8Array): void;
  /** close(): FIN (only from ESTABLISHED; after the peer's FIN the socket closes by itself). */
  close(): void;
  /** close() with bytes in the receive queue the application never read: RST (tcp_close). */
  abort(): void;
}

/** What an application hears from its connection (the socket ACKs data itself). */
export interface TcpApp {
  /** The handshake completed (client) or the connection was accepted (server). */
  open(c: TcpConn): void;
  /** Bytes arrived, in order. */
  data(c: TcpConn, b: Uint8Array): void;
  /** The peer closed (FIN): the socket answers with its own FIN at once (the application closes on EOF). */
  eof?(c: TcpConn): void;
  /**
   * The peer closed (FIN) while the application is not reading the connection yet: true keeps it
   * open (CLOSE_WAIT, the FIN's ACK by the delayed-ACK timer); the application closes later.
   */
  deferEof?(c: TcpConn): boolean;
}

/** What the FTP applications need of their host's sockets and clock. */
export interface FtpHost {
  now(): number;
  timer(at: number, fn: () => void): void;
  /** connect() from laddr:lport (laddr 0: as routed) to raddr:rport, the application on it; `fail` on error/timeout. */
  connect(
    laddr: number,
    raddr: number,
    rport: number,
    lport: number,
    timeout: number,
    app: TcpApp,
    fail: (why: string, errno: string) => void,
  ): void;
  /** listen() on port (every address); undefined to stop listening. */
  listen(port: number, app: (() => TcpApp) | undefined): void;
}

const enc = new TextEncoder();
const dec = new TextDecoder('latin1');
const CRLF = '\r\n';

/** a.b.c.d and port as FTP writes them: `a,b,c,d,p1,p2`. */
export const ftpHostPort = (addr: number, port: number): string =>
  `${addr >>> 24},${(addr >>> 16) & 255},${(addr >>> 8) & 255},${addr & 255},${port >> 8},${port & 255}`;

/** The address and port of a 227 reply or a PORT command (the last six numbers), or undefined. */
export function parseFtpHostPort(line: string): { addr: number; port: number } | undefined {
  const m = /(\d+),(\d+),(\d+),(\d+),(\d+),(\d+)/.exec(line);
  if (!m) return undefined;
  const n = m.slice(1).map(Number);
  if (n.some((x) => x > 255)) return undefined;
  return { addr: ((n[0]! << 24) | (n[1]! << 16) | (n[2]! << 8) | n[3]!) >>> 0, port: (n[4]! << 8) | n[5]! };
}

/** Splits arriving bytes into lines (each ending in \n), calling `line` with each, CRLF removed. */
function lineReader(line: (l: string) => void): (b: Uint8Array) => void {
  let buf = '';
  return (b) => {
    buf += dec.decode(b);
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      line(buf.slice(0, i).replace(/\r$/, ''));
      buf = buf.slice(i + 1);
    }
  };
}

/** The server's replies, as the kernel agent's server writes them. */
export const FTP_REPLY = {
  greeting: '220 natbox FTP',
  user: '331 Password please.',
  pass: '230 Logged in.',
  port: '200 PORT command successful.',
  opening: '150 Opening data connection.',
  noData: '425 No data connection.',
  done: '226 Transfer complete.',
  quit: '221 Goodbye.',
  unknown: '502 Command not implemented.',
} as const;

/**
 * The FTP server of one host: every control connection on its listener gets a session; the passive
 * data connections are accepted on FTP_PASV_PORT and given to the next RETR. The file sent for
 * `RETR natbox-N` is N bytes (`ping`, dashes, a newline: frag.ts linePayload's form); `RETR natbox`
 * is `ping\n`.
 */
export function ftpServer(host: FtpHost, file: (name: string) => Uint8Array): () => TcpApp {
  const pasv: TcpConn[] = [];
  host.listen(FTP_PASV_PORT, () => ({ open: (c) => void pasv.push(c), data: () => undefined }));
  return () => {
    let active: { addr: number; port: number } | undefined;
    const later = (fn: () => void): void => host.timer(host.now() + FTP_THINK, fn);
    const send = (c: TcpConn, line: string): void => c.write(enc.encode(line + CRLF));
    // The data connection carries the file, then closes; 226 follows.
    const transfer = (c: TcpConn, d: TcpConn, body: Uint8Array): void => {
      d.write(body);
      later(() => {
        d.close();
        later(() => send(c, FTP_REPLY.done));
      });
    };
    let control: TcpConn | undefined;
    const onLine = lineReader((line) => {
      const c = control!;
      const sp = line.indexOf(' ');
      const verb = (sp < 0 ? line : line.slice(0, sp)).toUpperCase();
      const arg = sp < 0 ? '' : line.slice(sp + 1);
      later(() => {
        if (verb === 'USER') send(c, FTP_REPLY.user);
        else if (verb === 'PASS') send(c, FTP_REPLY.pass);
        else if (verb === 'PASV')
          send(c, `227 Entering Passive Mode (${ftpHostPort(c.laddr, FTP_PASV_PORT)}).`);
        else if (verb === 'PORT') {
          active = parseFtpHostPort(arg);
          send(c, active ? FTP_REPLY.port : FTP_REPLY.unknown);
        } else if (verb === 'RETR') {
          send(c, FTP_REPLY.opening);
          const body = file(arg);
          later(() => {
            if (active) {
              const to = active;
              active = undefined;
              host.connect(
                c.laddr,
                to.addr,
                to.port,
                c.lport - 1,
                FTP_SESSION,
                { open: (d) => transfer(c, d, body), data: () => undefined },
                () => send(c, FTP_REPLY.noData),
              );
              return;
            }
            const d = pasv.shift();
            if (d) transfer(c, d, body);
            else send(c, FTP_REPLY.noData);
          });
        } else if (verb === 'QUIT') send(c, FTP_REPLY.quit);
        else send(c, FTP_REPLY.unknown);
      });
    });
    return {
      open: (c) => {
        control = c;
        send(c, FTP_REPLY.greeting);
      },
      data: (_c, b) => onLine(b),
    };
  };
}

/** What the FTP client tells its flow. */
export interface FtpClientObserver {
  /** The session ended: 221 came and the file was complete (`bytes`), or it failed (`errno`). */
  done(ok: boolean, detail: string, errno?: string): void;
  /** Every line the client sent (`>`) or received (`<`), in order. */
  line?(dir: '>' | '<', text: string): void;
}

/**
 * The client of one FTP flow on its control connection: USER anonymous, PASS natbox@, PASV (then
 * connects to the 227's address from `dataPort`) or PORT (its control address and `dataPort`,
 * where it listens), RETR natbox[-size], 226, QUIT; after the 221 it closes `hold` seconds later.
 * A reply not come within `timeout` s, a data connection that fails (connect() error or timeout; no connection within `timeout` s in
 * active mode) or a reply it did not ask for ends the session: it closes the control connection.
 */
export function ftpClient(
  host: FtpHost,
  mode: 'passive' | 'active',
  dataPort: number,
  size: number | undefined,
  timeout: number,
  hold: number,
  obs: FtpClientObserver,
): TcpApp {
  let control: TcpConn | undefined;
  let got = 0;
  let dataClosed = false;
  let over = false;
  const later = (fn: () => void): void => host.timer(host.now() + FTP_THINK, fn);
  // Each reply is awaited `timeout` seconds at most (the greeting from the connection, the others
  // from the command, the 226 from the 150), as the live client does: then the session fails.
  let waiting = 0;
  const awaitReply = (): void => {
    const id = ++waiting;
    host.timer(host.now() + timeout, () => {
      if (id === waiting && !over) fail('no reply from the server', 'ETIMEDOUT');
    });
  };
  const send = (line: string): void => {
    obs.line?.('>', line);
    control!.write(enc.encode(line + CRLF));
    awaitReply();
  };
  // Active mode: after RETR the live client blocks in accept() on its data port and reads the
  // control connection only once the data connection came (the 150 is read then). Replies that
  // arrive meanwhile wait unread in the socket; a session that fails then closes with them unread,
  // and the kernel answers that close() with a RST, not a FIN (tcp_close: data_was_unread).
  let inAccept = false;
  const unread: Uint8Array[] = [];
  // The data connection, read only once the 150 came (the live client's rd('150'), then its recv
  // loop until EOF and d.close()): a FIN before that waits unanswered (CLOSE_WAIT, deferEof), and
  // the 150 then closes it. A session that fails before the 150 leaves with the data unread: the
  // process exit closes the data socket with bytes in its receive queue, a RST (tcp_close).
  let dataConn: TcpConn | undefined;
  let reading = false;
  let eofWaits = false;
  const fail = (detail: string, errno: string): void => {
    if (over) return;
    over = true;
    if (mode === 'active') host.listen(dataPort, undefined);
    obs.done(false, detail, errno);
    if (unread.length) control!.abort();
    else control!.close();
    if (dataConn && !reading) {
      if (got > 0) dataConn.abort();
      else dataConn.close();
    }
  };
  const data: TcpApp = {
    open: (c) => void (dataConn = c),
    data: (_d, b) => void (got += b.length),
    eof: () => void (dataClosed = true),
    deferEof: () => {
      if (reading) return false;
      eofWaits = true;
      return true;
    },
  };
  const startReading = (): void => {
    reading = true;
    if (!eofWaits) return;
    eofWaits = false;
    dataClosed = true;
    dataConn?.close();
  };
  const file = size === undefined ? FTP_FILE : `${FTP_FILE}-${size}`;
  const onLine = lineReader((line) => {
    obs.line?.('<', line);
    if (over) return;
    waiting++; // the reply came
    const code = line.slice(0, 3);
    if (code === '220') later(() => send('USER anonymous'));
    else if (code === '331') later(() => send('PASS natbox@'));
    else if (code === '230')
      later(() => {
        if (mode === 'passive') return send('PASV');
        let accepted = false;
        host.listen(dataPort, () => {
          accepted = true;
          host.listen(dataPort, undefined);
          inAccept = false;
          for (const b of unread.splice(0)) onLine(b);
          return data;
        });
        send(`PORT ${ftpHostPort(control!.laddr, dataPort)}`);
        host.timer(host.now() + timeout, () => {
          if (!accepted)
            fail(`data connection: no connection to port ${dataPort} within ${timeout} s`, 'ETIMEDOUT');
        });
      });
    else if (code === '227') {
      const to = parseFtpHostPort(line);
      if (!to) return fail(`unreadable 227 reply: ${line}`, 'EPROTO');
      later(() =>
        host.connect(
          0,
          to.addr,
          to.port,
          dataPort,
          timeout,
          {
            ...data,
            open: (c) => {
              dataConn = c;
              send(`RETR ${file}`);
            },
          },
          (why, errno) => fail(`data connection: ${why}`, errno),
        ),
      );
    } else if (code === '200')
      later(() => {
        send(`RETR ${file}`);
        // The reply to RETR is awaited once accept() returned (the live client's rd('150')).
        inAccept = !over;
      });
    else if (code === '150') {
      startReading();
      awaitReply();
    } else if (code === '226') later(() => send('QUIT'));
    else if (code === '221') {
      over = true;
      const want = size ?? 5;
      if (got === want && dataClosed) obs.done(true, `RETR ${file}: ${got} bytes`);
      else obs.done(false, `RETR ${file}: ${got} bytes of ${want}`, 'EPROTO');
      host.timer(host.now() + hold, () => control!.close());
    } else fail(`server: ${line}`, 'EPROTO');
  });
  return {
    open: (c) => {
      control = c;
      awaitReply();
    },
    data: (_c, b) => {
      if (inAccept) unread.push(b.slice());
      else onLine(b);
    },
  };
}
