// The private Redis Cluster lives in bench/ (the bench's `cluster` scenario starts one too, and
// bench/ is shipped in dist/bench while tests are not); tests import it from here as before.
export { RedisCluster, type ClusterNodeInfo } from '../../bench/redis-cluster.js';
