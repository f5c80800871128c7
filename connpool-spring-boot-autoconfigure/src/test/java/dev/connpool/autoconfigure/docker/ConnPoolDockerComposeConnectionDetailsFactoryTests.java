package dev.connpool.autoconfigure.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

import dev.connpool.autoconfigure.ConnPoolConnectionDetails;
import dev.connpool.autoconfigure.ConnPoolConnectionDetails.Pool;
import dev.connpool.autoconfigure.testcontainers.ConnPoolContainerConnectionDetailsFactoryAccess;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.service.connection.ConnectionDetailsFactory;
import org.springframework.boot.docker.compose.core.ConnectionPorts;
import org.springframework.boot.docker.compose.core.ImageReference;
import org.springframework.boot.docker.compose.core.RunningService;
import org.springframework.core.io.support.SpringFactoriesLoader;

/**
 * The Docker Compose factory maps a service labelled {@code connpool.pool} to that pool, from a
 * running service built here (there is no Docker engine to run Compose against); and both service
 * connection factories are registered where Spring Boot looks for them.
 */
class ConnPoolDockerComposeConnectionDetailsFactoryTests {

    @Test
    void bothFactoriesAreRegisteredForSpringBoot() {
        List<ConnectionDetailsFactory> factories = SpringFactoriesLoader.forDefaultResourceLocation()
                .load(ConnectionDetailsFactory.class);
        assertThat(factories).hasAtLeastOneElementOfType(ConnPoolDockerComposeConnectionDetailsFactory.class);
        assertThat(factories).anySatisfy(f -> assertThat(f.getClass().getName())
                .isEqualTo(ConnPoolContainerConnectionDetailsFactoryAccess.FACTORY_CLASS_NAME));
    }

    @Test
    void aServiceLabelledWithAPoolGivesThatPoolItsHostAndPublishedPort() {
        RunningService service = new Service(Map.of("connpool.pool", "orders"), Map.of(9090, 49152));
        assertThat(ConnPoolDockerComposeConnectionDetailsFactory.servesAPool(service)).isTrue();
        ConnPoolConnectionDetails details = new ConnPoolDockerComposeConnectionDetailsFactory.ServiceDetails(service);
        assertThat(details.details("orders")).isEqualTo(new Pool("192.0.2.7", 49152));
        assertThat(details.details("users")).isNull();
    }

    @Test
    void aServiceWithoutTheLabelIsNotAPool() {
        assertThat(ConnPoolDockerComposeConnectionDetailsFactory.servesAPool(
                new Service(Map.of("org.springframework.boot.service-connection", "redis"), Map.of(6379, 1)))).isFalse();
        assertThat(ConnPoolDockerComposeConnectionDetailsFactory.servesAPool(
                new Service(Map.of("connpool.pool", " "), Map.of(6379, 1)))).isFalse();
    }

    @Test
    void thePortLabelChoosesAmongSeveralPublishedPorts() {
        RunningService service = new Service(Map.of("connpool.pool", "orders", "connpool.port", "9091"),
                Map.of(9090, 49152, 9091, 49153));
        assertThat(new ConnPoolDockerComposeConnectionDetailsFactory.ServiceDetails(service).details("orders"))
                .isEqualTo(new Pool("192.0.2.7", 49153));
    }

    @Test
    void severalPortsWithoutThePortLabelAreReported() {
        RunningService service = new Service(Map.of("connpool.pool", "orders"), Map.of(9090, 49152, 9091, 49153));
        assertThatIllegalStateException()
                .isThrownBy(() -> new ConnPoolDockerComposeConnectionDetailsFactory.ServiceDetails(service))
                .withMessageContaining("publishes 2 TCP ports").withMessageContaining("connpool.port");
    }

    @Test
    void aPortLabelNamingNoPublishedPortIsReported() {
        RunningService service = new Service(Map.of("connpool.pool", "orders", "connpool.port", "1234"),
                Map.of(9090, 49152));
        assertThatIllegalStateException()
                .isThrownBy(() -> new ConnPoolDockerComposeConnectionDetailsFactory.ServiceDetails(service))
                .withMessageContaining("connpool.port=1234");
    }

    /** A running Compose service as Spring Boot describes one. */
    private record Service(Map<String, String> labels, Map<Integer, Integer> published) implements RunningService {

        @Override
        public String name() {
            return "orders-backend";
        }

        @Override
        public ImageReference image() {
            return ImageReference.of("example/orders-backend:1");
        }

        @Override
        public String host() {
            return "192.0.2.7";
        }

        @Override
        public ConnectionPorts ports() {
            return new ConnectionPorts() {

                @Override
                public int get(int containerPort) {
                    Integer port = published.get(containerPort);
                    if (port == null) {
                        throw new IllegalStateException("No host port mapping found for container port " + containerPort);
                    }
                    return port;
                }

                @Override
                public List<Integer> getAll() {
                    return List.copyOf(published.values());
                }

                @Override
                public List<Integer> getAll(String protocol) {
                    return "tcp".equals(protocol) ? getAll() : List.of();
                }
            };
        }

        @Override
        public Map<String, String> env() {
            return Map.of();
        }
    }
}
