package dev.connpool.sample.echo;

import dev.connpool.ConnPool;
import dev.connpool.sample.BackendException;
import dev.connpool.sample.Demo;
import dev.connpool.sample.LineProtocol;
import java.io.PrintStream;
import java.time.Duration;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.stereotype.Component;

/**
 * {@code --demo=tcp-echo}: the original TCP echo client. Sends five messages through the
 * {@code echo} pool, prints each round trip, then the pool's statistics.
 */
@Component
@ConditionalOnProperty(name = "demo", havingValue = "tcp-echo")
class EchoDemo extends Demo {

    static final int MESSAGES = 5;

    private final ConnPool echo;
    private final Duration replyTimeout;

    EchoDemo(@Qualifier("echo") ConnPool echo, @Value("${sample.reply-timeout:5s}") Duration replyTimeout) {
        this.echo = echo;
        this.replyTimeout = replyTimeout;
    }

    @Override
    protected void run(PrintStream out) {
        for (int i = 1; i <= MESSAGES; i++) {
            String msg = "hello " + i;
            try {
                out.println("sent: " + msg + "  got: " + LineProtocol.exchange(echo, msg, replyTimeout));
            } catch (BackendException e) {
                failed();
                out.println("sent: " + msg + "  failed: " + e.detail());
            }
        }
        printStats(out, echo);
    }
}
