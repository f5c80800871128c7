package dev.connpool.autoconfigure.testcontainers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.connpool.autoconfigure.ConnPoolConnectionDetails;
import org.junit.jupiter.api.Test;
import org.springframework.boot.testcontainers.service.connection.ContainerConnectionSource;
import org.springframework.boot.testcontainers.service.connection.TestContainerConnectionSources;
import org.testcontainers.containers.Container;

/**
 * Which pool a {@code @ServiceConnection} container serves: the one named by the annotation, or, without
 * a name, the one named like the image. Tested on the source Spring Boot builds for the annotation,
 * without a container (no Docker engine here): the host and port the details read from a running
 * container are not tested.
 */
class ConnPoolContainerConnectionDetailsFactoryTests {

    private final ConnPoolContainerConnectionDetailsFactory factory = new ConnPoolContainerConnectionDetailsFactory();

    @Test
    void aNamedServiceConnectionServesThePoolOfThatName() {
        ContainerConnectionSource<Container<?>> source = TestContainerConnectionSources.of("orders",
                "example/orders-backend:1");
        assertThat(ConnPoolContainerConnectionDetailsFactory.names(source, "orders")).isTrue();
        assertThat(ConnPoolContainerConnectionDetailsFactory.names(source, "users")).isFalse();
    }

    @Test
    void anUnnamedServiceConnectionServesThePoolNamedLikeItsImage() {
        ContainerConnectionSource<Container<?>> source = TestContainerConnectionSources.of("", "redis:7");
        assertThat(ConnPoolContainerConnectionDetailsFactory.names(source, "redis")).isTrue();
        assertThat(ConnPoolContainerConnectionDetailsFactory.names(source, "orders")).isFalse();
    }

    @Test
    void theFactoryTakesAnyContainerAndItsDetailsAnswerOnlyForTheirPool() {
        ConnPoolConnectionDetails details = factory.getConnectionDetails(
                TestContainerConnectionSources.of("orders", "example/orders-backend:1"));
        assertThat(details).isNotNull();
        // the container is not asked for a pool it does not serve
        assertThat(details.details("users")).isNull();
    }
}
