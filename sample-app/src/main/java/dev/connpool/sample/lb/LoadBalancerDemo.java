package dev.connpool.sample.lb;

import dev.connpool.ConnPool;
import dev.connpool.sample.BackendException;
import dev.connpool.sample.Demo;
import java.io.PrintStream;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.stereotype.Component;

/**
 * {@code --demo=load-balancer}: the original load balancer's client. Sends eight requests round
 * robin, prints which backend answered each, then every backend pool's statistics.
 */
@Component
@ConditionalOnProperty(name = "demo", havingValue = "load-balancer")
class LoadBalancerDemo extends Demo {

    static final int REQUESTS = 8;

    private final RoundRobin roundRobin;

    LoadBalancerDemo(RoundRobin roundRobin) {
        this.roundRobin = roundRobin;
    }

    @Override
    protected void run(PrintStream out) {
        for (int i = 1; i <= REQUESTS; i++) {
            String msg = "request " + i;
            try {
                RoundRobin.Answer answer = roundRobin.send(msg);
                out.println(msg + " -> " + answer.backend() + " replied \"" + answer.reply() + "\"");
            } catch (BackendException e) {
                failed();
                out.println(msg + " -> failed: " + e.detail());
            }
        }
        for (ConnPool pool : roundRobin.backends()) {
            printStats(out, pool);
        }
    }
}
