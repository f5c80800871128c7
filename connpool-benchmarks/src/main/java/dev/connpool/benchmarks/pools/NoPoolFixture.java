package dev.connpool.benchmarks.pools;

import java.io.IOException;
import java.net.Socket;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/** No pool: the echo server and the same socket factory, for a new connection per request. */
@State(Scope.Benchmark)
public class NoPoolFixture extends PoolFixture {

    /**
     * Opens a loopback connection as the pools do.
     *
     * @return a connected socket; the caller closes it
     * @throws IOException if the connect fails
     */
    public Socket open() throws IOException {
        return sockets.create();
    }

    @Override
    void openPool() {
    }

    @Override
    void closePool() {
    }
}
