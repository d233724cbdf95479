package parquetout

// Standard table names (Meta.Table and the folder of each table).
const (
	TablePosterior   = "posterior"
	TableSampleStats = "sample_stats"
)

// PosteriorRow is one value of one variable in one posterior draw: the
// tidy, long-format posterior shared by every app. A scalar variable has one
// row per draw with Dim = -1; a vector variable has one row per element, Dim
// its index; a set of variable size (knots, points) has as many rows as
// elements, and an empty set none (apps then also write the size as a scalar
// variable). The units of Value are those of the variable, documented per
// app in docs/schema.md.
type PosteriorRow struct {
	Chain int32   `parquet:"chain"`
	Draw  int64   `parquet:"draw"`
	Param string  `parquet:"param,dict"`
	Dim   int32   `parquet:"dim"`
	Value float64 `parquet:"value"`
}

// SampleStatsRow describes how one draw was sampled: ArviZ's sample_stats
// group for a GFlowNet. Log-densities are natural logarithms with respect to
// the environment's reference measure (counting measure for discrete
// objects).
type SampleStatsRow struct {
	Chain int32 `parquet:"chain"`
	Draw  int64 `parquet:"draw"`
	// LogReward is log R(x) of the drawn object, the unnormalised log
	// posterior density (ArviZ's lp).
	LogReward float64 `parquet:"log_reward"`
	// LogPF is log P_F(tau), the forward log-probability of the sampled
	// trajectory, stop included.
	LogPF float64 `parquet:"log_pf"`
	// LogPB is log P_B(tau | x), the backward log-probability of the
	// trajectory given the object.
	LogPB float64 `parquet:"log_pb"`
	// LogWeight is LogReward + LogPB - LogPF, the importance log-weight of
	// the draw: its log-mean-exp estimates log Z, and self-normalised
	// weights correct the sampler's remaining bias.
	LogWeight float64 `parquet:"log_weight"`
	// TrajLen is the number of transitions of the trajectory, stop
	// included.
	TrajLen int32 `parquet:"traj_len"`
}
