/**
 * Log a Node HTTP server's own view of its connections and requests as JSON lines on stdout, so the scenario
 * builder records facts from the server itself (not from the capture): accept, request, response, close and who
 * closed first.
 */
'use strict';

function emit(ev) {
  process.stdout.write(JSON.stringify({ at: Date.now(), ...ev }) + '\n');
}

function instrument(server) {
  let nextId = 1;
  server.on('connection', (socket) => {
    const id = nextId++;
    socket.wnId = id;
    socket.wnRequests = 0;
    let peerEndedFirst = null;
    emit({ ev: 'conn', id, remote: socket.remoteAddress, rport: socket.remotePort });
    // 'end' = the peer's FIN arrived. If we had not ended our side yet, the client closed first.
    // Prepended: Node's own 'end' handlers end our side at once (allowHalfOpen is off), so look first.
    socket.prependListener('end', () => {
      if (peerEndedFirst === null) peerEndedFirst = !socket.writableEnded && !socket.wnServerClosed;
    });
    // A reset from the client arrives as an error (ECONNRESET), not as 'end'.
    socket.prependListener('error', () => {
      if (peerEndedFirst === null && !socket.wnServerClosed) peerEndedFirst = true;
    });
    socket.on('close', () => setImmediate(() => {
      // Deferred: the response's own 'close' (which marks an abandoned response) runs after the socket's.
      // A response cut short means the client went away (this server never closes mid-response); while a response is
      // being written Node does not read, so the client's FIN may not have been seen as 'end' before the write failed.
      const by = socket.wnAborted ? 'client' : peerEndedFirst === true ? 'client' : peerEndedFirst === false ? 'server' : socket.wnServerClosed ? 'server' : 'client';
      emit({ ev: 'close', id, by, requests: socket.wnRequests });
    }));
    // Node's keep-alive timeout and Connection: close end the socket from our side.
    const end = socket.end.bind(socket);
    socket.end = (...a) => {
      if (peerEndedFirst === null) socket.wnServerClosed = true;
      return end(...a);
    };
    const destroy = socket.destroy.bind(socket);
    socket.destroy = (err, ...a) => {
      // Destroyed because a write hit the client's reset: the client went first.
      if (peerEndedFirst === null && err && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) peerEndedFirst = true;
      if (peerEndedFirst === null) socket.wnServerClosed = true;
      return destroy(err, ...a);
    };
  });
  server.on('request', (req, res) => {
    const id = req.socket.wnId;
    req.socket.wnRequests++;
    emit({
      ev: 'req', id, method: req.method, url: req.url, range: req.headers.range || null,
      conditional: !!(req.headers['if-none-match'] || req.headers['if-modified-since']),
      remote: req.socket.remoteAddress, rport: req.socket.remotePort,
    });
    // 'res': the server handed the whole response to the socket (end() called); 'abort': the socket went away first.
    let done = false;
    res.on('finish', () => {
      if (!done) emit({ ev: 'res', id, url: req.url, status: res.statusCode });
      done = true;
    });
    res.on('close', () => {
      if (done) return;
      done = true;
      if (res.writableEnded) return emit({ ev: 'res', id, url: req.url, status: res.statusCode });
      req.socket.wnAborted = true;
      emit({ ev: 'abort', id, url: req.url, status: res.headersSent ? res.statusCode : null, sent: res.socket ? res.socket.bytesWritten : null });
    });
  });
}

function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
}

module.exports = { instrument, emit, arg };
