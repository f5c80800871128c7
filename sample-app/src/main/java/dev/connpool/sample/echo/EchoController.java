package dev.connpool.sample.echo;

import dev.connpool.ConnPool;
import dev.connpool.sample.LineProtocol;
import java.time.Duration;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * The TCP echo example over HTTP: {@code GET /echo?msg=hello} sends {@code hello} through the
 * {@code echo} pool and answers with what came back.
 */
@RestController
class EchoController {

    private final ConnPool echo;
    private final Duration replyTimeout;

    EchoController(@Qualifier("echo") ConnPool echo, @Value("${sample.reply-timeout:5s}") Duration replyTimeout) {
        this.echo = echo;
        this.replyTimeout = replyTimeout;
    }

    @GetMapping("/echo")
    EchoReply echo(@RequestParam String msg) {
        return new EchoReply(msg, LineProtocol.exchange(echo, msg, replyTimeout));
    }

    /**
     * One round trip.
     *
     * @param sent the message sent
     * @param got the reply
     */
    record EchoReply(String sent, String got) {
    }
}
