/**
 * A real keep-alive HTTP/1.1 connection over one TCP socket: the resource the
 * demo pools. Requests on one connection are sequential (the pool lends a
 * connection to one fiber at a time). Interrupting a request destroys the
 * socket, since its answer would otherwise arrive into the next request: the
 * connection is then unhealthy and the pool's health check retires it.
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as net from "node:net"

export class ConnectionError extends Data.TaggedError("ConnectionError")<{
  readonly connection: number
  readonly reason: string
}> {
  override get message() {
    return `connection #${this.connection}: ${this.reason}`
  }
}

export interface Response {
  readonly status: number
  readonly body: string
}

export class Connection {
  requests = 0
  private buffer = Buffer.alloc(0)
  private pending: ((error: Error | undefined) => void) | undefined = undefined
  constructor(readonly id: number, readonly socket: net.Socket) {
    socket.on("data", (chunk) => {
      this.buffer = Buffer.concat([this.buffer, chunk])
      this.pending?.(undefined)
    })
    socket.on("close", () => this.pending?.(new Error("socket closed")))
    socket.on("error", (error) => this.pending?.(error))
  }

  get healthy(): boolean {
    return !this.socket.destroyed && this.socket.readyState === "open"
  }

  /** GET `path` on this connection and wait for the whole answer. */
  get(path: string): Effect.Effect<Response, ConnectionError> {
    return Effect.async<Response, ConnectionError>((resume) => {
      if (!this.healthy) {
        resume(Effect.fail(new ConnectionError({ connection: this.id, reason: "socket is closed" })))
        return
      }
      this.requests++
      this.buffer = Buffer.alloc(0)
      this.pending = (error) => {
        if (error !== undefined) {
          this.pending = undefined
          return resume(Effect.fail(new ConnectionError({ connection: this.id, reason: error.message })))
        }
        const response = parse(this.buffer)
        if (response === undefined) return
        this.pending = undefined
        resume(Effect.succeed(response))
      }
      this.socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n`)
      // Interrupted mid-request: the answer would land in the next request, so the socket goes.
      return Effect.sync(() => {
        this.pending = undefined
        this.socket.destroy()
      })
    })
  }
}

const parse = (buffer: Buffer): Response | undefined => {
  const end = buffer.indexOf("\r\n\r\n")
  if (end < 0) return undefined
  const head = buffer.subarray(0, end).toString("latin1")
  const status = Number(head.slice(9, 12))
  const length = Number(/content-length:\s*(\d+)/i.exec(head)?.[1] ?? 0)
  if (buffer.length < end + 4 + length) return undefined
  return { status, body: buffer.subarray(end + 4, end + 4 + length).toString("utf8") }
}

/** Opens connection `id` to 127.0.0.1:`port` in the current scope; closing the scope closes the socket. */
export const connect = (port: number, id: number) =>
  Effect.acquireRelease(
    Effect.async<Connection, ConnectionError>((resume) => {
      const socket = net.connect(port, "127.0.0.1")
      socket.setKeepAlive(true)
      const onError = (error: Error) =>
        resume(Effect.fail(new ConnectionError({ connection: id, reason: error.message })))
      socket.once("error", onError)
      socket.once("connect", () => {
        socket.off("error", onError)
        resume(Effect.succeed(new Connection(id, socket)))
      })
      return Effect.sync(() => socket.destroy())
    }),
    (connection) =>
      Effect.async<void>((resume) => {
        if (connection.socket.destroyed) return resume(Effect.void)
        connection.socket.once("close", () => resume(Effect.void))
        connection.socket.end()
        // A peer that does not answer our FIN must not hold the pool's shutdown.
        const timer = setTimeout(() => connection.socket.destroy(), 1000)
        connection.socket.once("close", () => clearTimeout(timer))
      })
  )

/**
 * The server's side of the established TCP connections on `port`, read from
 * the kernel (`/proc/net/tcp`): an independent witness of what is really open.
 * `undefined` where the kernel does not expose it.
 */
export const serverSideConnections = (port: number): Effect.Effect<number | undefined> =>
  Effect.sync(() => {
    const hexPort = port.toString(16).toUpperCase().padStart(4, "0")
    let count = 0
    for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
      let text: string
      try {
        text = fs.readFileSync(file, "utf8")
      } catch {
        if (file === "/proc/net/tcp") return undefined
        continue
      }
      for (const line of text.split("\n").slice(1)) {
        const fields = line.trim().split(/\s+/)
        // local_address is field 1 ("IP:PORT"), st is field 3; 01 = ESTABLISHED.
        if (fields.length > 3 && fields[1]!.endsWith(`:${hexPort}`) && fields[3] === "01") count++
      }
    }
    return count
  })
