import type { Server } from "node:http"
import { Server as TlsServer } from "node:tls"
import type { AddressInfo, Socket } from "node:net"

/** Listens on 127.0.0.1 (`port`, default any free one); its http(s) URL, and a close that also drops open connections. */
export const listenLocal = async (server: Server | TlsServer, port = 0): Promise<{ readonly url: string; readonly close: () => Promise<void> }> => {
  const sockets = new Set<Socket>()
  server.on("connection", (socket: Socket) => {
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve))
  const { port: bound } = server.address() as AddressInfo
  return {
    url: `${server instanceof TlsServer ? "https" : "http"}://127.0.0.1:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      })
  }
}
