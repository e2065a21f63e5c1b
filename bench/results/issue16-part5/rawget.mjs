// Prototype: GET over a raw keep-alive socket, body read straight into its final buffer (net onread).
import { connect } from 'node:net';
export class RawGetter {
  constructor(host, port, sign) { this.host = host; this.port = port; this.sign = sign; this.idle = []; }
  conn() {
    const c = this.idle.pop(); if (c) return c;
    const st = { head: Buffer.allocUnsafe(16384), headLen: 0, dest: null, off: 0, len: -1, resolve: null, reject: null };
    const sock = connect({ host: this.host, port: this.port, noDelay: true, onread: {
      buffer: () => st.dest && st.len >= 0 ? st.dest.subarray(st.off) : st.head.subarray(st.headLen),
      callback: (n) => {
        if (st.dest && st.len >= 0) { st.off += n; }
        else {
          st.headLen += n;
          const end = st.head.subarray(0, st.headLen).indexOf('\r\n\r\n');
          if (end < 0) { if (st.headLen === st.head.length) st.reject(new Error('head too big')); return; }
          const text = st.head.toString('latin1', 0, end);
          const status = Number(text.slice(9, 12));
          const m = /\r\ncontent-length:\s*(\d+)/i.exec(text);
          st.len = m ? Number(m[1]) : 0; st.status = status;
          st.dest = Buffer.allocUnsafe(st.len);
          const extra = st.headLen - (end + 4);
          st.head.copy(st.dest, 0, end + 4, st.headLen); st.off = extra;
        }
        if (st.off >= st.len) { const d = st.dest, r = st.resolve; st.dest = null; st.headLen = 0; st.len = -1; this.idle.push(c2); r(d); }
      } } });
    sock.on('error', (e) => st.reject?.(e));
    const c2 = { sock, st }; return c2;
  }
  async get(path) {
    const headers = await this.sign(path);
    const c = this.conn();
    return new Promise((resolve, reject) => {
      c.st.resolve = resolve; c.st.reject = reject;
      let req = `GET ${path} HTTP/1.1\r\n`;
      for (const [k, v] of Object.entries(headers)) req += `${k}: ${v}\r\n`;
      c.sock.write(req + '\r\n');
    });
  }
}
