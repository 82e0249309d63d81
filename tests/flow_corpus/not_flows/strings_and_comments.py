"""How to write a Prefect flow:

    from prefect import flow

    @flow
    def hello():
        ...
"""

# @flow
# def commented_out():
#     ...

TEMPLATE = '''
@flow
def templated():
    ...
'''
