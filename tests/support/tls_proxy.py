#!/usr/bin/env python3
"""A TLS-terminating TCP proxy for tests.

PowerDNS 4.7's webserver speaks plain HTTP only; this puts https in front of
it the way a production deployment would (a sidecar or load balancer):
TLS on 127.0.0.1:--listen-port with --cert/--key, plain TCP to
127.0.0.1:--target-port. Prints "listening" once the port is open.
"""

import argparse
import asyncio
import ssl


async def pipe(reader, writer, half_close):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, ssl.SSLError, OSError):
        pass
    finally:
        try:
            # A plain socket passes the end on and keeps reading the answer;
            # a TLS socket cannot half-close.
            if half_close and writer.can_write_eof():
                writer.write_eof()
            else:
                writer.close()
        except (ConnectionError, ssl.SSLError, OSError, RuntimeError):
            pass


async def handle(client_reader, client_writer, target_port):
    try:
        upstream_reader, upstream_writer = await asyncio.open_connection(
            "127.0.0.1", target_port)
    except OSError:
        client_writer.close()
        return
    await asyncio.gather(
        pipe(client_reader, upstream_writer, half_close=True),
        pipe(upstream_reader, client_writer, half_close=False))
    upstream_writer.close()


async def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--listen-port", type=int, required=True)
    parser.add_argument("--target-port", type=int, required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    args = parser.parse_args()

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
    server = await asyncio.start_server(
        lambda r, w: handle(r, w, args.target_port), "127.0.0.1",
        args.listen_port, ssl=context)
    print("listening", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
