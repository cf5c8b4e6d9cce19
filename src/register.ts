/**
 * Adds `model.fitByPCA(x, y, options)` to every tfjs-layers model:
 *
 * ```js
 * import * as tf from '@tensorflow/tfjs';
 * import 'tfjs-pca/register';
 *
 * const report = await model.fitByPCA(xTrain, yTrain);
 * ```
 *
 * @packageDocumentation
 */
import * as tf from '@tensorflow/tfjs-core';
import {LayersModel} from '@tensorflow/tfjs-layers';

import {fitByPCA} from './fit/fit-by-pca';
import {FitByPcaOptions} from './fit/options';
import {FitByPcaReport} from './fit/report';
import {PcaDataset} from './stats/dataset';
import {LabelsInput} from './stats/labels';

declare module '@tensorflow/tfjs-layers/dist/engine/training' {
  interface LayersModel {
    /**
     * Computes the model's weights by class-based PCA; see fitByPCA in
     * tfjs-pca.
     */
    fitByPCA(
        x: tf.Tensor|PcaDataset, y?: LabelsInput,
        options?: FitByPcaOptions): Promise<FitByPcaReport>;
  }
}

LayersModel.prototype.fitByPCA = function(
    this: LayersModel, x: tf.Tensor|PcaDataset, y?: LabelsInput,
    options?: FitByPcaOptions): Promise<FitByPcaReport> {
  return fitByPCA(this, x, y, options);
};

export {fitByPCA};
