package dev.connpool.benchmarks;

import dev.connpool.PooledConnection;
import dev.connpool.benchmarks.pools.CommonsPoolFixture;
import dev.connpool.benchmarks.pools.ConnPoolFixture;
import dev.connpool.benchmarks.pools.HikariBagFixture;
import dev.connpool.benchmarks.pools.QueueFixture;
import dev.connpool.benchmarks.pools.StormpotFixture;
import dev.connpool.benchmarks.pools.ViburFixture;

import java.net.Socket;
import java.util.concurrent.TimeUnit;

/**
 * One {@link Request} through each pool: borrow, round trip, give back, written as an application
 * uses that pool. {@link Saturated} (platform threads) and {@link VirtualThreads} both call these,
 * so the two scenarios run the very same code per request and differ only in who calls it.
 */
final class Requests {

    private Requests() {
    }

    static void connpool(ConnPoolFixture p, Request r) throws Exception {
        try (PooledConnection c = p.pool.get()) {
            r.roundTrip(c.socket());
        }
    }

    static void stormpot(StormpotFixture p, Request r) throws Exception {
        StormpotFixture.PooledSocket s = p.pool.claim(p.timeout);
        if (s == null) {
            // seen in Saturated: with 16 threads on 4 slots some claims wait out the whole bound
            // while the other threads keep re-claiming; a service would fail that request
            throw new IllegalStateException("Stormpot: claim timed out, no connection within "
                    + StormpotFixture.TIMEOUT_SECONDS + " s");
        }
        try {
            r.roundTrip(s.socket);
        } finally {
            s.release();
        }
    }

    static void hikariBag(HikariBagFixture p, Request r) throws Exception {
        HikariBagFixture.SocketEntry e = p.borrow();
        try {
            r.roundTrip(e.socket);
        } finally {
            p.bag.requite(e);
        }
    }

    static void vibur(ViburFixture p, Request r) throws Exception {
        Socket s = p.pool.tryTake(ViburFixture.TIMEOUT_SECONDS, TimeUnit.SECONDS);
        if (s == null) {
            throw new IllegalStateException("Vibur: no connection within " + ViburFixture.TIMEOUT_SECONDS + " s");
        }
        try {
            r.roundTrip(s);
        } finally {
            p.pool.restore(s);
        }
    }

    static void commonsPool2(CommonsPoolFixture p, Request r) throws Exception {
        Socket s = p.pool.borrowObject();
        try {
            r.roundTrip(s);
        } finally {
            p.pool.returnObject(s);
        }
    }

    static void arrayBlockingQueue(QueueFixture p, Request r) throws Exception {
        Socket s = p.borrow();
        try {
            r.roundTrip(s);
        } finally {
            p.idle.offer(s);
        }
    }
}
