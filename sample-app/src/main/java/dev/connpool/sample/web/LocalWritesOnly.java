package dev.connpool.sample.web;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.util.Locale;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Refuses, with 403, every request that could change something (any method but GET, HEAD, OPTIONS
 * and TRACE) unless it comes from this machine and from no other web site:
 * <ul>
 *   <li>the client's address is a loopback address (a request from another machine, if the app was
 *       told to listen beyond 127.0.0.1);</li>
 *   <li>the {@code Host} header names a loopback host ({@code localhost}, {@code 127.x.x.x},
 *       {@code [::1]}): a page of another site whose name was made to resolve to 127.0.0.1 (DNS
 *       rebinding) sends its own name;</li>
 *   <li>the {@code Origin} header, which browsers send with such requests, if there is one, is a
 *       loopback host on the port the request was sent to: a page of this app. A page of another
 *       site open in a browser on this machine (a cross-site form or {@code fetch} to
 *       {@code http://127.0.0.1:8080}) is refused.</li>
 * </ul>
 * The actuator's write operations (evict, soft evict, suspend, resume, resize a pool), the admin
 * server's API (register, deregister) and the Redis proxy's commands are all such requests. Reads are
 * left alone: nothing the sample shows is secret.
 */
public final class LocalWritesOnly extends OncePerRequestFilter {

    private static final Logger LOGGER = LoggerFactory.getLogger(LocalWritesOnly.class);

    private static final Set<String> SAFE_METHODS = Set.of("GET", "HEAD", "OPTIONS", "TRACE");

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String refusal = SAFE_METHODS.contains(request.getMethod()) ? null
                : refusal(request.getRemoteAddr(), request.getHeader("Host"), request.getHeader("Origin"));
        if (refusal == null) {
            chain.doFilter(request, response);
            return;
        }
        LOGGER.warn("Refused {} {} from {}: {}", request.getMethod(), request.getRequestURI(),
                request.getRemoteAddr(), refusal);
        // a problem, as the sample's other errors (spring.mvc.problemdetails)
        String detail = "Refused: " + refusal + ". The sample accepts requests that change something only from"
                + " this machine (sample.local-writes-only, see the README)";
        response.setStatus(HttpServletResponse.SC_FORBIDDEN);
        response.setContentType("application/problem+json");
        response.setCharacterEncoding("UTF-8");
        response.getWriter().write("{\"status\":403,\"title\":\"Forbidden\",\"detail\":\""
                + detail.replace("\\", "\\\\").replace("\"", "\\\"") + "\"}");
    }

    /**
     * Why a write request with these facts is refused.
     *
     * @param remoteAddress the client's IP address
     * @param host the {@code Host} header, if any
     * @param origin the {@code Origin} header, if any
     * @return the reason, or null if the request may go on
     */
    static @Nullable String refusal(String remoteAddress, @Nullable String host, @Nullable String origin) {
        if (!loopbackAddress(remoteAddress)) {
            return "the client " + remoteAddress + " is not on this machine";
        }
        String hostName = host == null ? null : hostName(host);
        if (hostName == null || !loopbackName(hostName)) {
            return "the Host header " + (host == null ? "is missing" : "'" + host + "' is not a loopback name");
        }
        if (origin != null && !sameMachineSamePort(origin, host)) {
            return "the request comes from the web page of another origin (" + origin + ")";
        }
        return null;
    }

    /**
     * Whether a browser's {@code Origin} is a page of this app: a loopback host (the admin server's
     * proxy may reach the app as {@code localhost} while the page is {@code 127.0.0.1}) on the port the
     * request was sent to.
     */
    private static boolean sameMachineSamePort(String origin, String host) {
        URI page;
        try {
            page = URI.create(origin.trim());
        } catch (IllegalArgumentException e) {
            return false;
        }
        URI target = URI.create("http://" + host.trim() + "/");
        return page.getHost() != null && loopbackName(page.getHost()) && port(page) == port(target);
    }

    private static int port(URI uri) {
        return uri.getPort() >= 0 ? uri.getPort() : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
    }

    private static boolean loopbackAddress(String address) {
        return address.startsWith("127.") || address.equals("::1") || address.equals("0:0:0:0:0:0:0:1");
    }

    /** The host of a {@code Host} header without its port; null if it cannot be read. */
    private static @Nullable String hostName(String host) {
        try {
            return URI.create("http://" + host.trim() + "/").getHost();
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static boolean loopbackName(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        if (n.equals("localhost") || n.equals("[::1]") || n.equals("::1")) {
            return true;
        }
        return n.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
    }
}
