/**
 * Jest setup (setupFilesAfterEnv): selects the TensorFlow.js backend for
 * every test file from the environment variable `TFJS_PCA_BACKEND`
 * (`cpu`, the default, or `wasm`).
 *
 * It imports `@tensorflow/tfjs-core`, the same module the library imports,
 * so tests and library share one engine and one kernel registry.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';

const SUPPORTED = ['cpu', 'wasm'];

const requested = (process.env.TFJS_PCA_BACKEND || 'cpu').trim();
if (!SUPPORTED.includes(requested)) {
  throw new Error(
    `TFJS_PCA_BACKEND=${requested} is not supported; use one of ` +
      SUPPORTED.join(', '),
  );
}

if (requested === 'wasm') {
  // In Node the wasm backend finds tfjs-backend-wasm{,-simd}.wasm next to
  // its own dist/tf-backend-wasm.node.js (Emscripten's __dirname), so no
  // setWasmPaths() call is needed. Threads are never used in Node.
  require('@tensorflow/tfjs-backend-wasm');
}

// tfjs-core's "true if running unit tests" flag. It silences tfjs's
// warn()/log(), including the "install tfjs-node" banner that the cpu
// backend prints on its first tensor in Node, and makes the engine check
// every kernel for backend-internal memory leaks.
//
// Only on cpu: the wasm backend's fused matMul trips that internal check
// during model.fit ("internal memory leak (3 data ids) after running
// 'fusedMatMul__op'") although no tensor is lost (tf.memory() is steady),
// so on wasm the tests count tensors with tf.memory() only.
tf.env().set('IS_TEST', requested === 'cpu');

/** Why `name`'s factory fails (tfjs only warns, and IS_TEST hides that). */
async function initFailure(name: string): Promise<string> {
  const factory = tf.findBackendFactory(name);
  if (factory == null) {
    return 'backend not registered';
  }
  try {
    await factory();
    return 'factory succeeded on retry';
  } catch (e) {
    return (e as Error).stack || String(e);
  }
}

beforeAll(async () => {
  const ok = await tf.setBackend(requested);
  await tf.ready();
  if (!ok || tf.getBackend() !== requested) {
    throw new Error(
      `Could not select TensorFlow.js backend '${requested}' ` +
        `(active backend: '${tf.getBackend()}'): ` +
        (await initFailure(requested)),
    );
  }
});
