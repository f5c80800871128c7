package dev.connpool.autoconfigure.docker;

import dev.connpool.autoconfigure.ConnPoolConnectionDetails;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.docker.compose.core.RunningService;
import org.springframework.boot.docker.compose.service.connection.DockerComposeConnectionDetailsFactory;
import org.springframework.boot.docker.compose.service.connection.DockerComposeConnectionSource;

/**
 * {@link ConnPoolConnectionDetails} from a Docker Compose service labelled with the pool it serves:
 *
 * <pre>{@code
 * services:
 *   orders:
 *     image: my/orders-backend
 *     ports: ["9090"]
 *     labels:
 *       connpool.pool: orders
 *       connpool.port: 9090   # only needed when the service publishes several ports
 * }</pre>
 *
 * Pool {@code orders} then connects to the service's host and the host port published for that
 * container port.
 */
class ConnPoolDockerComposeConnectionDetailsFactory
        extends DockerComposeConnectionDetailsFactory<ConnPoolConnectionDetails> {

    /** The label that names the pool a service serves. */
    static final String POOL_LABEL = "connpool.pool";

    /** The label that names the container port to use, when the service publishes several. */
    static final String PORT_LABEL = "connpool.port";

    ConnPoolDockerComposeConnectionDetailsFactory() {
        super(source -> servesAPool(source.getRunningService()));
    }

    @Override
    protected ConnPoolConnectionDetails getDockerComposeConnectionDetails(DockerComposeConnectionSource source) {
        return new ServiceDetails(source.getRunningService());
    }

    static boolean servesAPool(RunningService service) {
        String pool = service.labels().get(POOL_LABEL);
        return pool != null && !pool.isBlank();
    }

    /** The details of the pool the service's label names. */
    static final class ServiceDetails extends DockerComposeConnectionDetails implements ConnPoolConnectionDetails {

        private final String poolName;
        private final Pool pool;

        ServiceDetails(RunningService service) {
            super(service);
            this.poolName = service.labels().get(POOL_LABEL).trim();
            this.pool = new Pool(service.host(), hostPort(service));
        }

        private static int hostPort(RunningService service) {
            String containerPort = service.labels().get(PORT_LABEL);
            if (containerPort != null) {
                try {
                    return service.ports().get(Integer.parseInt(containerPort.trim()));
                } catch (IllegalStateException | IllegalArgumentException e) {
                    throw new IllegalStateException("Docker Compose service '" + service.name() + "': label "
                            + PORT_LABEL + "=" + containerPort + " must name a container port it publishes", e);
                }
            }
            List<Integer> published = service.ports().getAll("tcp");
            if (published.size() != 1) {
                throw new IllegalStateException("Docker Compose service '" + service.name() + "' publishes "
                        + published.size() + " TCP ports; label it " + PORT_LABEL
                        + " with the container port of pool '" + service.labels().get(POOL_LABEL).trim() + "'");
            }
            return published.get(0);
        }

        @Override
        public @Nullable Pool details(String name) {
            return poolName.equals(name) ? pool : null;
        }
    }
}
