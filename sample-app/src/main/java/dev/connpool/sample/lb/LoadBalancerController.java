package dev.connpool.sample.lb;

import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * The load balancer example over HTTP: {@code GET /lb?msg=hi} sends {@code hi} to the next backend
 * that is up and answers with which one served it and what it said.
 */
@RestController
class LoadBalancerController {

    private final RoundRobin roundRobin;

    LoadBalancerController(RoundRobin roundRobin) {
        this.roundRobin = roundRobin;
    }

    @GetMapping("/lb")
    RoundRobin.Answer lb(@RequestParam String msg) {
        return roundRobin.send(msg);
    }
}
