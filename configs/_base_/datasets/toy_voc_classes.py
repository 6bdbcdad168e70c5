# The toy set's foreground classes (make_toy_voc.py's default 6), the one
# place the toy stage configs take them from. A set made with another
# --num-classes lists its own in <data_root>/classes.txt, which
# tools/run_pipeline.py applies to every stage (README, "Your own data").
classes = ('alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta')
