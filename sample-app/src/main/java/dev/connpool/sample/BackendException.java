package dev.connpool.sample;

import dev.connpool.ConnPoolException;
import java.io.IOException;
import java.net.SocketTimeoutException;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.ErrorResponseException;

/**
 * A request an example could not serve, with the HTTP status that says why. Spring MVC renders it
 * as an RFC 9457 problem ({@code spring.mvc.problemdetails.enabled}); the command-line demos print
 * its {@link #detail()}.
 * <ul>
 *   <li>400: the request itself is wrong;</li>
 *   <li>503: the pool could not lend a connection (backend down, pool exhausted or closed): nothing
 *       was sent, try again later;</li>
 *   <li>502: the exchange broke after the request went out (I/O error, reply out of protocol); the
 *       connection was marked unusable;</li>
 *   <li>504: the backend did not answer in time; the connection was marked unusable.</li>
 * </ul>
 */
public class BackendException extends ErrorResponseException {

    private static final long serialVersionUID = 1L;

    protected BackendException(HttpStatus status, String detail, Throwable cause) {
        super(status, problem(status, detail), cause);
    }

    private static ProblemDetail problem(HttpStatus status, String detail) {
        return ProblemDetail.forStatusAndDetail(status, detail);
    }

    /** The request is wrong: 400. */
    public static BackendException badRequest(String detail) {
        return new BackendException(HttpStatus.BAD_REQUEST, detail, null);
    }

    /** The pool could not lend a connection: 503, with the pool's own explanation. */
    public static BackendException unavailable(String pool, ConnPoolException cause) {
        BackendException e = new BackendException(HttpStatus.SERVICE_UNAVAILABLE, cause.getMessage(), cause);
        e.getBody().setProperty("pool", pool);
        return e;
    }

    /** The exchange with the backend broke: 504 on a timeout, else 502. */
    public static BackendException exchangeFailed(String pool, IOException cause) {
        HttpStatus status = cause instanceof SocketTimeoutException ? HttpStatus.GATEWAY_TIMEOUT : HttpStatus.BAD_GATEWAY;
        BackendException e = new BackendException(status, "pool '" + pool + "': exchange with the backend failed: "
                + cause, cause);
        e.getBody().setProperty("pool", pool);
        return e;
    }

    /** What went wrong, in words. */
    public String detail() {
        return getBody().getDetail();
    }
}
