package dev.connpool.sample.lb;

import dev.connpool.ConnPool;
import dev.connpool.sample.BackendException;
import java.io.PrintStream;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.ExitCodeGenerator;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.stereotype.Component;

/**
 * {@code --demo=load-balancer}: the original load balancer's client. Sends eight requests round
 * robin, prints which backend answered each, then every backend pool's statistics.
 */
@Component
@ConditionalOnProperty(name = "demo", havingValue = "load-balancer")
class LoadBalancerDemo implements ApplicationRunner, ExitCodeGenerator {

    static final int REQUESTS = 8;

    private final RoundRobin roundRobin;
    private int failures;

    LoadBalancerDemo(RoundRobin roundRobin) {
        this.roundRobin = roundRobin;
    }

    @Override
    public void run(ApplicationArguments args) {
        PrintStream out = System.out;
        for (int i = 1; i <= REQUESTS; i++) {
            String msg = "request " + i;
            try {
                RoundRobin.Answer answer = roundRobin.send(msg);
                out.println(msg + " -> " + answer.backend() + " replied \"" + answer.reply() + "\"");
            } catch (BackendException e) {
                failures++;
                out.println(msg + " -> failed: " + e.detail());
            }
        }
        for (ConnPool pool : roundRobin.backends()) {
            out.println("pool " + pool.name() + ": " + pool.stats());
        }
    }

    @Override
    public int getExitCode() {
        return failures == 0 ? 0 : 1;
    }
}
