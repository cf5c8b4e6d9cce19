/**
 * tfjs-pca: class-based PCA for TensorFlow.js.
 *
 * Computes, for each class, the principal components of a layer's input
 * (for a convolution, of the patches it reads), and turns them into layer
 * weights.
 *
 * @packageDocumentation
 */
export {PatchGeometryArgs} from './conv/geometry';
export {classPcaOfPatches, PatchPcaOptions} from './conv/patch-statistics';
export {extractPatches, ExtractPatchesOptions} from './conv/patches';
export {PATCHES_PER_CLASS, PATCHES_PER_IMAGE, PatchSamplingArgs}
    from './conv/sampling';
export {NotImplementedError, ValueError} from './errors';
export {PcaBiasInitializer, PcaInitializer, PcaInitializerArgs,
        PcaInitializerConfig, PcaPatchOptions} from './layers/pca-initializer';
export {FitByPcaCallback, FitByPcaCallbackArgs} from './fit/callback';
export {fitByPCA} from './fit/fit-by-pca';
export {FitByPcaOptions, TopLayer} from './fit/options';
export {Evaluation, FitByPcaReport, LayerReport} from './fit/report';
export {KernelAndBias, kernelFromPca, KernelOptions} from './layers/kernel';
export {symmetricEigen, SymmetricEigen} from './linalg/symmetric-eigen';
export {topEigen, TopEigenOptions, TopEigenResult} from './linalg/top-eigen';
export {ClassComponents, classPca, classPcaFromStatistics, ClassPcaResult,
        classPcaSync, ClassShortfall, PcaInput} from './pca/class-pca';
export {Allocation, ClassPcaOptions, PcaProgress} from './pca/options';
export {ClassStatistics, ClassStatisticsJSON} from './stats/class-statistics';
export {PcaDataset} from './stats/dataset';
export {LabelsInput} from './stats/labels';
export {ProbeSet, TimeScaleMonitorArgs} from './monitor/args';
export {FreezePhase, FreezeReport} from './monitor/freeze';
export {MonitorCost, TimeScaleMonitorJSON} from './monitor/monitor-json';
export {LayerRecord, logKey, Measurement, MonitoredLayer, MonitorRecord}
    from './monitor/records';
export {TimeScaleMonitor} from './monitor/time-scale-monitor';
export {LayerTimeScale} from './monitor/time-scales';
