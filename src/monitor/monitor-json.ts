import {FreezeReport} from './freeze';
import {MonitoredLayer, MonitorRecord} from './records';
import {LayerTimeScale} from './time-scales';

/** Wall seconds the monitor itself spent during one `model.fit`. */
export interface MonitorCost {
  /** In onTrainBegin: keeping the kernels and the first spans. */
  trainBeginSeconds: number;
  /** Records made. */
  records: number;
  /** In all records, span refreshes included. */
  recordSeconds: number;
  /** Span refreshes made (after the first spans). */
  refreshes: number;
  /** In span refreshes. */
  refreshSeconds: number;
}

/**
 * Everything a {@link TimeScaleMonitor} measured in one `model.fit`, as
 * plain JSON: what `toJSON()` returns and `time-scales.json` holds.
 */
export interface TimeScaleMonitorJSON {
  /** Always 'tfjs-pca/time-scales'. */
  format: 'tfjs-pca/time-scales';
  /** The version of this layout, 1. */
  version: 1;
  /** The settings that shape the figures. */
  settings: {
    every: number,
    earlyRecords: boolean,
    components: number,
    spanRefreshMovement: number,
    spanRefreshEvery: number|null,
    settleThreshold: number,
    settlePatience: number,
    freeze: boolean,
    /** Rows of the probe set, or null without one. */
    probeRows: number|null,
  };
  /** The monitored layers, bottom-up. */
  layers: MonitoredLayer[];
  /** One record per sampling point, in step order. */
  records: MonitorRecord[];
  /** The time scales estimated from all records. */
  timeScales: LayerTimeScale[];
  /** What freezing did, or null when it is off. */
  freeze: FreezeReport|null;
  /** The monitor's own time, to judge its overhead. */
  cost: MonitorCost;
}
