package dev.connpool.sample.backends;

import dev.connpool.sample.backends.EmbeddedBackends.EmbeddedBackendException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Explains a port the embedded backends could not bind, most often a second sample app running. */
class EmbeddedBackendFailureAnalyzer extends AbstractFailureAnalyzer<EmbeddedBackendException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, EmbeddedBackendException cause) {
        return new FailureAnalysis(cause.getMessage(),
                "Stop whatever listens on 127.0.0.1:" + cause.port() + " (another sample app?), or set "
                        + cause.property() + " to another port (0 takes any free one), or set "
                        + "sample.backends.embedded=false and point connpool.pools." + cause.backend()
                        + ".host/port at a backend of your own.",
                cause);
    }
}
