"""The ranker's training: dataset (training set → matrices, request groups, time split), metrics, the
LightGBM and torch trainers, and the job (`job.main`) that runs one of them end to end and logs to MLflow."""
